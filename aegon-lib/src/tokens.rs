//! Token counts of an API response, split the way they are priced, and the other facts of its
//! usage that decide its price ([`PriceFactors`]).

use std::borrow::Cow;

use crate::format::claude::record::Usage;

/// Token counts by kind. Arithmetic saturates: absurd counts never wrap around.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tokens {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens (thinking included).
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the cache with the 5-minute TTL.
    pub cache_write_5m: u64,
    /// Input tokens written to the cache with the 1-hour TTL.
    pub cache_write_1h: u64,
    /// Web searches the API ran for the response (`usage.server_tool_use.web_search_requests`,
    /// Claude Code 1.0.90+): not tokens, but billed per search on top of them
    /// ([`crate::session::pricing::RequestPrice::cost`]). Kept here so that every rule that
    /// takes a response's usage once (the last line's, field-wise maximum) takes it too.
    pub web_search: u64,
}

impl Tokens {
    /// The response's tokens as recorded on one line.
    ///
    /// When `usage.iterations` is non-empty its elements add up to the response (one real
    /// response has all-zero outer counts). Cache writes follow [`Tokens::cache_writes`].
    /// Web searches are the outer `server_tool_use`'s, or the sum of the iterations' when that
    /// is larger (elements carry none in the corpus; a version that records them only there
    /// is not left at 0, and one that records them in both is not counted twice).
    pub fn from_usage(usage: &Usage) -> Tokens {
        let searches = |u: &Usage| {
            u.server_tool_use.as_ref().map_or(0, |t| {
                crate::format::count_of(t.web_search_requests).unwrap_or(0)
            })
        };
        let (tokens, inner_searches) = match usage.iterations.as_deref() {
            Some(iterations) if !iterations.is_empty() => (
                iterations
                    .iter()
                    .map(Tokens::from_single)
                    .fold(Tokens::default(), Tokens::saturating_add),
                iterations
                    .iter()
                    .fold(0u64, |n, i| n.saturating_add(searches(i))),
            ),
            _ => (Tokens::from_single(usage), 0),
        };
        Tokens {
            web_search: searches(usage).max(inner_searches),
            ..tokens
        }
    }

    /// The cache writes of one usage object (outer, or one iteration), `(5-minute, 1-hour)`.
    ///
    /// `cache_creation_input_tokens` (the flat count, 1.0.17+) is the number of writes;
    /// `cache_creation` (1.0.90+) says their TTLs. The rule, one for every shape:
    /// - the flat count is absent or 0: the split is the writes (a split alone is read);
    /// - otherwise the flat count is the number of writes, and the split's 1-hour writes are
    ///   that many of them (at most all); the rest are 5-minute writes. So a split that agrees
    ///   is taken as written; no split (1.0.17), or a 0/0 split beside a flat count (a real
    ///   gateway file, austinweitao 3e89eb15), is all 5-minute writes; a split that disagrees
    ///   with a non-zero flat count (reported by the line reader, `format::claude::decode`)
    ///   never adds writes beyond the flat count.
    pub fn cache_writes(usage: &Usage) -> (u64, u64) {
        let c = |n: u64| crate::format::count_of(n).unwrap_or(0);
        let (split_5m, split_1h) = usage.cache_creation.as_ref().map_or((0, 0), |cc| {
            (
                c(cc.ephemeral_5m_input_tokens),
                c(cc.ephemeral_1h_input_tokens),
            )
        });
        let flat = c(usage.cache_creation_input_tokens);
        if flat == 0 {
            return (split_5m, split_1h);
        }
        let one_hour = split_1h.min(flat);
        (flat - one_hour, one_hour)
    }

    fn from_single(usage: &Usage) -> Tokens {
        // A count beyond 2^53 is none (`format::count`): the line reader has already made a
        // refused count 0 and said so; a `Usage` read by serde alone holds it as written.
        let c = |n: u64| crate::format::count_of(n).unwrap_or(0);
        let (cache_write_5m, cache_write_1h) = Tokens::cache_writes(usage);
        Tokens {
            input: c(usage.input_tokens),
            output: c(usage.output_tokens),
            cache_read: c(usage.cache_read_input_tokens),
            cache_write_5m,
            cache_write_1h,
            web_search: 0,
        }
    }

    /// The input of the request the response answered last: with `usage.iterations`, the last
    /// iteration's whole input (server-side compaction bills an iteration that read the old
    /// context, then the message iteration that read the compacted one: the context after the
    /// response is the last's), else the usage's. `None` when it is the response's
    /// [`Tokens::total_input`] (no iterations, or one).
    pub fn last_request_input(usage: &Usage) -> Option<u64> {
        match usage.iterations.as_deref() {
            Some(iterations) if iterations.len() > 1 => iterations
                .last()
                .map(|i| Tokens::from_single(i).total_input()),
            _ => None,
        }
    }

    /// Field-wise sum.
    pub fn saturating_add(self, other: Tokens) -> Tokens {
        Tokens {
            input: self.input.saturating_add(other.input),
            output: self.output.saturating_add(other.output),
            cache_read: self.cache_read.saturating_add(other.cache_read),
            cache_write_5m: self.cache_write_5m.saturating_add(other.cache_write_5m),
            cache_write_1h: self.cache_write_1h.saturating_add(other.cache_write_1h),
            web_search: self.web_search.saturating_add(other.web_search),
        }
    }

    /// The usage of one response read on two of its lines (or copies): the larger of each
    /// count, but for the cache writes, which are the larger number of writes
    /// (`cache_creation_input_tokens`) of which the larger 1-hour share is 1-hour writes, the
    /// rest 5-minute ones. A line without a `cache_creation` split reads its writes as
    /// 5-minute ones ([`Tokens::cache_writes`]) and another line of the response may say they
    /// were 1-hour writes (real: the streamed lines of a workflow subagent carry no split, the
    /// last one does, austinweitao agent-a340795228348a5a6): the same writes read twice, not
    /// 5-minute writes beside 1-hour ones (tester16 #6). Commutative, associative and
    /// idempotent (the maximum of the pairs (writes, 1-hour writes)), so that the lines of a
    /// response give the same usage in any order and any grouping.
    pub fn max(self, other: Tokens) -> Tokens {
        let writes = |t: &Tokens| t.cache_write_5m.saturating_add(t.cache_write_1h);
        let all = writes(&self).max(writes(&other));
        // At most all of them: each side's 1-hour share is at most its own writes.
        let one_hour = self.cache_write_1h.max(other.cache_write_1h).min(all);
        Tokens {
            input: self.input.max(other.input),
            output: self.output.max(other.output),
            cache_read: self.cache_read.max(other.cache_read),
            cache_write_5m: all - one_hour,
            cache_write_1h: one_hour,
            web_search: self.web_search.max(other.web_search),
        }
    }

    /// What a response's usage grew by from `before` to `self` (`self` = `before.max(line)`,
    /// [`Tokens::max`]), as counts to add to `before`, and the cache writes `before` counted as
    /// 5-minute writes that are 1-hour writes in `self` (to move from the one to the other):
    /// `before + increase`, that many moved, is `self`. New writes are 1-hour writes as far as
    /// the 1-hour share grew; the share grown beyond the new writes is writes counted before,
    /// moved.
    pub fn increase_over(self, before: Tokens) -> (Tokens, u64) {
        let writes = |t: &Tokens| t.cache_write_5m.saturating_add(t.cache_write_1h);
        let new_writes = writes(&self).saturating_sub(writes(&before));
        let one_hour_grew = self.cache_write_1h.saturating_sub(before.cache_write_1h);
        let new_one_hour = one_hour_grew.min(new_writes);
        let increase = Tokens {
            cache_write_5m: new_writes - new_one_hour,
            cache_write_1h: new_one_hour,
            ..self.saturating_sub(before)
        };
        (increase, one_hour_grew - new_one_hour)
    }

    /// These counts with `n` cache writes moved from the 5-minute to the 1-hour ones (at most
    /// all the 5-minute ones): [`Repriced::moved_to_1h`].
    pub fn moved_to_1h(self, n: u64) -> Tokens {
        let n = n.min(self.cache_write_5m);
        Tokens {
            cache_write_5m: self.cache_write_5m - n,
            cache_write_1h: self.cache_write_1h.saturating_add(n),
            ..self
        }
    }

    /// Field-wise `self - other`, 0 where `other` is larger.
    pub fn saturating_sub(self, other: Tokens) -> Tokens {
        Tokens {
            input: self.input.saturating_sub(other.input),
            output: self.output.saturating_sub(other.output),
            cache_read: self.cache_read.saturating_sub(other.cache_read),
            cache_write_5m: self.cache_write_5m.saturating_sub(other.cache_write_5m),
            cache_write_1h: self.cache_write_1h.saturating_sub(other.cache_write_1h),
            web_search: self.web_search.saturating_sub(other.web_search),
        }
    }

    /// Whether every count (web searches included) is 0.
    pub fn is_zero(&self) -> bool {
        *self == Tokens::default()
    }

    /// All input tokens: uncached, cache reads and cache writes.
    pub fn total_input(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write_5m)
            .saturating_add(self.cache_write_1h)
    }
}

/// What decides an API response's price besides its model and token counts, as its usage
/// reports it (`message.usage`; FORMAT.md §5). Read from each line's full usage; a response's
/// are those of its lines merged ([`PriceFactors::merge`]), which its increments carry, so a
/// later line of a response that only adds tokens is priced like the response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PriceFactors {
    /// `usage.speed` (2.1.77+): `standard`, or `fast` for fast mode (priced at a multiple of
    /// the standard rates).
    pub speed: Option<Cow<'static, str>>,
    /// `usage.service_tier`: `standard`, `priority` or `batch` (the Batch API's discount).
    pub service_tier: Option<Cow<'static, str>>,
    /// `usage.inference_geo` (2.1.38+): where inference ran; `us` (US-only inference) costs
    /// more on the models that offer it. Claude Code writes `not_available` or `""` when the
    /// model has no choice.
    pub inference_geo: Option<Cow<'static, str>>,
    /// Input tokens of the request as a whole (uncached + cache reads + cache writes), which
    /// decides whether a model's long-context rates apply. With `usage.iterations`, the
    /// largest iteration's.
    pub prompt_tokens: u64,
}

impl PriceFactors {
    /// The factors of a response from those of its lines, in the order written: `later`'s
    /// into `self`. A label (speed, service tier, inference geo) is the last one a line
    /// states, a line that writes none or `""` stating none (Claude Code 2.1.77 and 2.1.92
    /// write `speed` on a response's last line only; `inference_geo` is `not_available` on
    /// the streamed lines and `""` on the last); `""` is kept only when no line states more.
    /// The prompt size is the largest. The one rule of every view: the correlator's
    /// increments carry the result ([`crate::session::correlate`]) and the usage ledger merges
    /// its rows with it.
    pub fn merge(&mut self, later: &PriceFactors) {
        fn label(into: &mut Option<Cow<'static, str>>, later: &Option<Cow<'static, str>>) {
            match later.as_deref() {
                Some(v) if !v.is_empty() => into.clone_from(later),
                Some(_) if into.is_none() => into.clone_from(later),
                _ => {}
            }
        }
        label(&mut self.speed, &later.speed);
        label(&mut self.service_tier, &later.service_tier);
        label(&mut self.inference_geo, &later.inference_geo);
        self.prompt_tokens = self.prompt_tokens.max(later.prompt_tokens);
    }

    /// The factors a line's usage reports.
    pub fn from_usage(usage: &Usage) -> PriceFactors {
        let prompt_tokens = match usage.iterations.as_deref() {
            Some(iterations) if !iterations.is_empty() => iterations
                .iter()
                .map(|i| Tokens::from_single(i).total_input())
                .max()
                .unwrap_or(0),
            _ => Tokens::from_single(usage).total_input(),
        };
        PriceFactors {
            speed: usage.speed.clone(),
            service_tier: usage.service_tier.clone(),
            inference_geo: usage.inference_geo.clone(),
            prompt_tokens,
        }
    }
}

/// What a usage event carries when it changes how its response's tokens counted before it
/// are priced ([`crate::EventKind::Usage`]'s `repriced`): a later line of the response states
/// a speed, service tier or inference geo, or a prompt size, the earlier lines did not
/// (Claude Code 2.1.77 and 2.1.92 write `speed: "fast"` on a response's last line only), or
/// says that writes counted as 5-minute ones were 1-hour writes. The event's cost is then the
/// response's cost with its tokens so far ([`Repriced::total`]) and the response's factors,
/// less the cost already counted for `before` with `factors`: summed over a response's
/// events, its cost is that of all its tokens at its own factors
/// ([`crate::session::pricing::RequestPrice::usage_cost`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repriced {
    /// The response's tokens counted by its earlier events (their sum, moves applied).
    pub before: Tokens,
    /// The factors `before` was priced with.
    pub factors: PriceFactors,
    /// Cache writes `before` counted as 5-minute writes that the response's split says are
    /// 1-hour writes: whoever adds the events' tokens up moves them ([`Tokens::moved_to_1h`]).
    pub moved_to_1h: u64,
}

impl Repriced {
    /// The response's tokens after the event whose tokens are `tokens`.
    pub fn total(&self, tokens: &Tokens) -> Tokens {
        self.before
            .saturating_add(*tokens)
            .moved_to_1h(self.moved_to_1h)
    }
}

/// Why the tokens of an API response could not all be read from its usage, making its cost
/// unknown (never $0): a shape of usage aegon does not know, which a new Claude Code version
/// or a gateway could write. The line reader reports the line (file, line, byte) as partly
/// read; the response is still counted as an API call, its known tokens kept, its cost
/// `None` (a total is then "at least" the rest, as for a model with no price).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unread {
    /// `message.usage` holds none of the token counts aegon knows, or only zeros
    /// (`usage: {}`, camelCase keys, OpenAI's `prompt_tokens`): only synthetic error lines
    /// carry zero usage (FORMAT.md §5).
    NoCounts,
    /// The message has no `usage`, and the line holds one where aegon reads none (at its top
    /// level).
    Elsewhere,
    /// `usage.cache_creation` holds cache writes of a TTL aegon has no price for (not
    /// `ephemeral_5m_input_tokens` or `ephemeral_1h_input_tokens`).
    CacheTtl,
    /// `message.usage` (or one of its `iterations`) holds a member aegon does not read whose
    /// name ends in `_tokens` with a number above 0 (`audio_input_tokens`,
    /// `cache_creation_24h_input_tokens`): tokens of a kind aegon has no price for. The
    /// counts aegon knows are read as written.
    OtherCounts,
    /// An input count of the usage (`input_tokens`, `cache_read_input_tokens`,
    /// `cache_creation_input_tokens`, a `cache_creation` TTL; outer or in an iteration) is
    /// not a token count (`"71"`, `-71`, `71.5`, `1e300`: [`crate::format::count`]), read as
    /// 0: the input, and so the context, is not known.
    RefusedInput,
    /// Another count (`output_tokens`, `server_tool_use.web_search_requests`) is not a token
    /// count, read as 0; the input counts are read.
    Refused,
    /// Counts the agent writes only later: a Copilot CLI session with requests after its last
    /// `session.shutdown` (it is running, or ended without one), whose input and cache tokens
    /// exist only in that line's per-model totals (FORMAT.md §4). The session's known tokens
    /// are a lower bound until the shutdown is written.
    NotYetWritten,
    /// A request told only by cumulative totals (a Codex `token_count` without
    /// `last_token_usage`) whose difference from the previous totals is no request's usage: a
    /// total fell (the counter was reset), a part fell or grew more than its whole (cached
    /// input beyond input), or there are no earlier totals (an input read from its middle).
    /// `tokens` holds the parts that grew (after a reset: the new totals; none without earlier
    /// totals).
    Cumulative,
    /// Usage of a subagent its session names (a Task result's `toolUseResult.agentId`, an
    /// `agent_progress` line's `data.agentId`) of which no line was read: its transcript was
    /// not among the inputs (the session piped on stdin, its file copied alone, a layout aegon
    /// does not know), so its usage is missing from the session's, whose cost and tokens are
    /// a lower bound ([`crate::session::Session::unread_subagents`]). Told of a session, not
    /// carried by a usage event: the usage it stands for was never read.
    Subagent,
}

impl Unread {
    /// Whether the response's input counts themselves could not be read ([`Unread::NoCounts`],
    /// [`Unread::Elsewhere`], [`Unread::RefusedInput`], [`Unread::Cumulative`]): its input is
    /// then no measure of the context, which stays what the last readable response left.
    /// Writes of an unknown TTL, counts of a kind aegon does not know and a refused output
    /// count leave the input counts readable (a lower bound of the context, as their cost is
    /// of the cost).
    pub fn counts_unknown(self) -> bool {
        matches!(
            self,
            Unread::NoCounts | Unread::Elsewhere | Unread::RefusedInput | Unread::Cumulative
        )
    }

    /// In words, for a cost left unknown: `usage with no token count aegon knows`.
    pub fn describe(self) -> &'static str {
        match self {
            Unread::NoCounts => "usage with no token count aegon knows",
            Unread::Elsewhere => "usage outside `message`",
            Unread::CacheTtl => "cache writes of an unknown TTL",
            Unread::OtherCounts => "usage with a token count aegon does not know",
            Unread::RefusedInput | Unread::Refused => {
                "usage with a value that is not a token count"
            }
            Unread::NotYetWritten => "input and cache tokens not written yet (Copilot CLI writes them at session.shutdown)",
            Unread::Cumulative => "cumulative totals that fell or do not add up",
            Unread::Subagent => "usage of subagents whose transcript was not read",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::claude::record::CacheCreation;

    fn usage(input: u64, output: u64, write: u64, split: Option<(u64, u64)>) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cache_creation_input_tokens: write,
            cache_read_input_tokens: 7,
            cache_creation: split.map(|(a, b)| CacheCreation {
                ephemeral_5m_input_tokens: a,
                ephemeral_1h_input_tokens: b,
                other_ttl: false,
            }),
            iterations: None,
            ..Usage::default()
        }
    }

    #[test]
    fn web_searches_are_the_outer_counts_with_or_without_iterations() {
        use crate::format::claude::record::ServerToolUse;
        let mut u = usage(3, 13, 0, None);
        u.server_tool_use = Some(ServerToolUse {
            web_search_requests: 2,
        });
        assert_eq!(Tokens::from_usage(&u).web_search, 2);
        u.iterations = Some(vec![usage(1, 1, 0, None), usage(1, 1, 0, None)]);
        let t = Tokens::from_usage(&u);
        assert_eq!((t.input, t.web_search), (2, 2));
        // Lines of one response repeat the count: max and the increment take it once.
        assert_eq!(t.max(t).web_search, 2);
        assert_eq!(t.saturating_sub(t).web_search, 0);
        assert!(!Tokens {
            web_search: 1,
            ..Tokens::default()
        }
        .is_zero());
    }

    #[test]
    fn cache_writes_follow_the_ttl_split() {
        let t = Tokens::from_usage(&usage(3, 13, 13835, Some((0, 13835))));
        assert_eq!((t.cache_write_5m, t.cache_write_1h), (0, 13835));
        // 1.0.17: no split, everything at the 5-minute rate.
        let t = Tokens::from_usage(&usage(3, 13, 500, None));
        assert_eq!((t.cache_write_5m, t.cache_write_1h), (500, 0));
    }

    #[test]
    fn the_flat_count_is_the_number_of_writes_the_split_their_ttls() {
        let writes = |flat, split| {
            let t = Tokens::from_usage(&usage(3, 13, flat, split));
            (t.cache_write_5m, t.cache_write_1h)
        };
        // Agreeing, absent, 0/0 beside a flat count (the real gateway file austinweitao
        // 3e89eb15): as written, all 5-minute, all 5-minute.
        assert_eq!(writes(13_793, Some((0, 13_793))), (0, 13_793));
        assert_eq!(writes(1_000, Some((400, 600))), (400, 600));
        assert_eq!(writes(500, None), (500, 0));
        assert_eq!(writes(188, Some((0, 0))), (188, 0));
        // A split alone (no flat count) is the writes.
        assert_eq!(writes(0, Some((5, 7))), (5, 7));
        // Disagreeing: never more writes than the flat count; its 1-hour ones as the split
        // says (at most all), the rest 5-minute (tester7 #7).
        assert_eq!(writes(11_065, Some((11_065, 11_065))), (0, 11_065));
        assert_eq!(writes(11_065, Some((0, 5_532))), (5_533, 5_532));
        assert_eq!(writes(100, Some((100, 0))), (100, 0));
    }

    #[test]
    fn web_searches_recorded_only_in_iterations_are_counted_once() {
        use crate::format::claude::record::ServerToolUse;
        let searches = |n| {
            Some(ServerToolUse {
                web_search_requests: n,
            })
        };
        let mut inner = usage(1, 1, 0, None);
        inner.server_tool_use = searches(1);
        let mut outer = usage(0, 0, 0, None);
        outer.iterations = Some(vec![inner.clone(), inner]);
        assert_eq!(Tokens::from_usage(&outer).web_search, 2);
        // Recorded in both: the larger, not the sum.
        outer.server_tool_use = searches(2);
        assert_eq!(Tokens::from_usage(&outer).web_search, 2);
    }

    #[test]
    fn the_last_iteration_is_the_context_after_a_response() {
        let mut outer = usage(0, 0, 0, None);
        assert_eq!(Tokens::last_request_input(&outer), None);
        // Server-side compaction: 50,000 read, then the message iteration on the summary.
        outer.iterations = Some(vec![
            usage(50_000, 1_000, 0, None),
            usage(2, 30, 1_291, None),
        ]);
        assert_eq!(Tokens::last_request_input(&outer), Some(2 + 7 + 1_291));
        outer.iterations = Some(vec![usage(2, 30, 1_291, None)]);
        assert_eq!(Tokens::last_request_input(&outer), None);
    }

    #[test]
    fn iterations_add_up_when_present() {
        let mut outer = usage(0, 0, 0, Some((0, 900)));
        outer.iterations = Some(vec![
            usage(1, 10, 100, Some((0, 100))),
            usage(2, 20, 0, None),
        ]);
        let t = Tokens::from_usage(&outer);
        assert_eq!(
            t,
            Tokens {
                input: 3,
                output: 30,
                cache_read: 14,
                cache_write_5m: 0,
                cache_write_1h: 100,
                web_search: 0
            }
        );
    }

    #[test]
    fn price_factors_come_from_the_full_usage() {
        let mut u = usage(1_000, 5, 90_000, Some((0, 90_000)));
        u.cache_read_input_tokens = 120_000;
        u.speed = Some(Cow::Borrowed("fast"));
        u.inference_geo = Some(Cow::Borrowed("us"));
        let f = PriceFactors::from_usage(&u);
        assert_eq!(f.prompt_tokens, 1_000 + 90_000 + 120_000);
        assert_eq!(f.speed.as_deref(), Some("fast"));
        assert_eq!(f.inference_geo.as_deref(), Some("us"));
        assert_eq!(f.service_tier, None);
        // With iterations, the largest single request decides, not their sum.
        let mut outer = usage(0, 0, 0, None);
        outer.iterations = Some(vec![usage(150_000, 1, 0, None), usage(160_000, 1, 0, None)]);
        assert_eq!(PriceFactors::from_usage(&outer).prompt_tokens, 160_007);
    }

    #[test]
    fn a_response_s_writes_are_its_count_of_writes_and_their_one_hour_share() {
        let w = |w5, w1| Tokens {
            cache_write_5m: w5,
            cache_write_1h: w1,
            ..Tokens::default()
        };
        // tester16 #6: a line without a split (all 5-minute) and one whose split says 1-hour.
        let (streamed, last) = (w(5_000, 0), w(0, 5_000));
        assert_eq!(streamed.max(last), w(0, 5_000));
        assert_eq!(last.max(streamed), w(0, 5_000));
        // A 0/0 split (the real file): all 5-minute, as written.
        assert_eq!(streamed.max(streamed), streamed);
        // Part of them 1-hour; never more writes than the larger count.
        assert_eq!(w(1_000, 0).max(w(600, 400)), w(600, 400));
        assert_eq!(w(300, 0).max(w(0, 200)), w(100, 200));
        // Any order, any grouping.
        let (a, b, c) = (w(10, 0), w(4, 6), w(0, 12));
        assert_eq!(a.max(b).max(c), a.max(b.max(c)));
        assert_eq!(a.max(b).max(c), c.max(a).max(b));
    }

    #[test]
    fn an_increase_never_counts_writes_twice_and_moves_what_turned_out_one_hour() {
        let w = |w5, w1, out| Tokens {
            cache_write_5m: w5,
            cache_write_1h: w1,
            output: out,
            ..Tokens::default()
        };
        let before = w(5_000, 0, 1);
        let after = before.max(w(0, 5_000, 300));
        let (increase, moved) = after.increase_over(before);
        assert_eq!((increase, moved), (w(0, 0, 299), 5_000));
        let repriced = Repriced {
            before,
            factors: PriceFactors::default(),
            moved_to_1h: moved,
        };
        assert_eq!(repriced.total(&increase), after);
        // New writes that are 1-hour ones are added as such, nothing moved.
        let (increase, moved) = w(0, 700, 2).increase_over(w(0, 500, 1));
        assert_eq!((increase, moved), (w(0, 200, 1), 0));
        // The usual growing output: only it grows.
        assert_eq!(w(7, 3, 90).increase_over(w(7, 3, 1)), (w(0, 0, 89), 0));
    }

    #[test]
    fn a_response_s_factors_are_the_last_its_lines_state() {
        let f = |speed: Option<&'static str>, geo: Option<&'static str>, prompt| PriceFactors {
            speed: speed.map(Cow::Borrowed),
            inference_geo: geo.map(Cow::Borrowed),
            prompt_tokens: prompt,
            ..PriceFactors::default()
        };
        let merged = |a: PriceFactors, b: PriceFactors| {
            let mut m = a;
            m.merge(&b);
            m
        };
        // Claude Code 2.1.77 / 2.1.92: speed on the last line only.
        assert_eq!(
            merged(f(None, None, 10), f(Some("fast"), None, 10)),
            f(Some("fast"), None, 10)
        );
        // A later line that states none keeps what an earlier one stated.
        assert_eq!(
            merged(f(Some("fast"), None, 10), f(None, None, 10)),
            f(Some("fast"), None, 10)
        );
        // `""` states none: `not_available` then `""` (real), `us` then `""`.
        assert_eq!(
            merged(f(None, Some("not_available"), 1), f(None, Some(""), 1)).inference_geo,
            Some(Cow::Borrowed("not_available"))
        );
        assert_eq!(
            merged(f(None, Some("us"), 1), f(None, Some(""), 1)).inference_geo,
            Some(Cow::Borrowed("us"))
        );
        assert_eq!(
            merged(f(None, None, 1), f(None, Some(""), 1)).inference_geo,
            Some(Cow::Borrowed(""))
        );
        // Differing: the last stated; the prompt: the largest.
        assert_eq!(
            merged(
                f(Some("standard"), None, 210_100),
                f(Some("fast"), None, 150_100)
            ),
            f(Some("fast"), None, 210_100)
        );
    }

    #[test]
    fn arithmetic_saturates() {
        let big = Tokens {
            input: u64::MAX,
            ..Tokens::default()
        };
        assert_eq!(big.saturating_add(big).input, u64::MAX);
        assert_eq!(Tokens::default().saturating_sub(big).input, 0);
    }
}
