#!/usr/bin/env perl
# Makes every id in a transcript its own to copy COPY (1, 2, …), for bench/summary.sh's
# BENCH_DISTINCT=1:
#
#   COPY=3 perl bench/distinct-ids.pl < in.jsonl > out.jsonl    # the lines
#   COPY=3 perl bench/distinct-ids.pl --name NAME.jsonl          # the file's new name
#
# Every string value of a key named like an id (`id`, `uuid`, `parentUuid`, `leafUuid`,
# `sessionId`, `requestId`, `tool_use_id`, `toolUseID`, `sourceToolAssistantUUID`, `agentId`,
# `promptId`, `messageId`, `runId`, …: any key ending in id, Id, ID, uuid, Uuid or UUID) is
# rewritten by one function of the value and the copy, so references (parentUuid, leafUuid,
# tool_use_id) still point at the entry they named, and two copies share no id:
# - a canonical lowercase UUID stays one (as Claude Code writes them, so readers keep their
#   UUID fast paths): its first four hex digits become the copy number in hex (copies < 65536);
# - an id with a prefix of letters and `_` or `-` (`msg_`, `req_`, `toolu_`, `tooluse_`, a
#   workflow run's `wf_`, OpenRouter's `gen-`, `chatcmpl-`, …) keeps it, the tag `c<copy>-`
#   inserted after it;
# - anything else gets `c<copy>-` in front.
# Keys inside escaped JSON text (`\"id\":\"…\"`) are text, not ids, and are left alone.
#
# A file's name carries ids too, which readers take from the path: the session a line naming
# none belongs to (`…/<session uuid>.jsonl`, `<session>/subagents/agent-<agentId>.jsonl`) and
# the workflow run of an agent's transcript (`<session>/subagents/workflows/wf_<run>/…`). The
# corpus keeps those paths flattened with `__` for `/`, so --name rewrites each `__`-separated
# part of the name by the same function when it is one of those ids (a canonical UUID, a
# `wf_<run>`, the agentId after `agent-`): a copy's paths then name its own ids, as on disk.
use strict;
use warnings;

my $copy = $ENV{COPY} // die "COPY not set\n";
my $hex = sprintf('%04x', $copy);

sub fresh {
    my ($v) = @_;
    return $v if $v eq '';
    return $hex . substr($v, 4)
      if $v =~ /\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\z/;
    return "$1c$copy-$2" if $v =~ /\A([A-Za-z]+[_-])(.*)\z/s;
    return "c$copy-$v";
}

sub fresh_name {
    my ($name) = @_;
    my $ext = $name =~ s/(\.jsonl)\z// ? $1 : '';
    my @parts = map {
        /\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\z/ ? fresh($_)
          : /\Awf_./ ? fresh($_)
          : /\Aagent-(.+)\z/s ? 'agent-' . fresh($1)
          : $_
    } split /__/, $name, -1;
    return join('__', @parts) . $ext;
}

if (@ARGV) {
    die "usage: COPY=N $0 [--name FILE-NAME] < in.jsonl > out.jsonl\n"
      unless @ARGV == 2 && $ARGV[0] eq '--name';
    print fresh_name($ARGV[1]), "\n";
    exit 0;
}
while (<STDIN>) {
    s/"([A-Za-z_]*(?:[Ii]d|ID|[Uu]uid|UUID))":"([^"\\]*)"/'"' . $1 . '":"' . fresh($2) . '"'/ge;
    print;
}
