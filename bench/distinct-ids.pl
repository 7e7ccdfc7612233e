#!/usr/bin/env perl
# Makes every id in a transcript its own to copy COPY (1, 2, …), for bench/summary.sh's
# BENCH_DISTINCT=1: `COPY=3 perl -p bench/distinct-ids.pl < in.jsonl > out.jsonl`.
#
# Every string value of a key named like an id (`id`, `uuid`, `parentUuid`, `leafUuid`,
# `sessionId`, `requestId`, `tool_use_id`, `toolUseID`, `sourceToolAssistantUUID`, `agentId`,
# `promptId`, `messageId`, …: any key ending in id, Id, ID, uuid, Uuid or UUID) is rewritten by
# one function of the value and the copy, so references (parentUuid, leafUuid, tool_use_id)
# still point at the entry they named, and two copies share no id:
# - a canonical lowercase UUID stays one (as Claude Code writes them, so readers keep their
#   UUID fast paths): its first four hex digits become the copy number in hex (copies < 65536);
# - an id with a prefix of letters and `_` or `-` (`msg_`, `req_`, `toolu_`, `tooluse_`,
#   OpenRouter's `gen-`, `chatcmpl-`, …) keeps it, the tag `c<copy>-` inserted after it;
# - anything else gets `c<copy>-` in front.
# Keys inside escaped JSON text (`\"id\":\"…\"`) are text, not ids, and are left alone.
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

s/"([A-Za-z_]*(?:[Ii]d|ID|[Uu]uid|UUID))":"([^"\\]*)"/'"' . $1 . '":"' . fresh($2) . '"'/ge;
