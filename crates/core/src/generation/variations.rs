//! Prompt variations (#23): `{a|b|c}` alternatives in a prompt expand to one prompt (one job) per
//! combination, so the count, and from it the price, can be shown before anything is sent.
//!
//! Syntax:
//! - `{` opens a group, `|` separates its alternatives and `}` closes it. Outside a group `|` is an
//!   ordinary character.
//! - Groups nest, and nested groups multiply inside their alternative: `{a|{b|c}} x` makes 3
//!   prompts (`a x`, `b x`, `c x`), `{a|b} {c|d}` makes 4.
//! - `\{`, `\}`, `\|` and `\\` give the literal character. A backslash before any other character
//!   is kept as written, so text such as `C:\images\new` is not mangled.
//! - Alternatives may be empty: `{|red }car` makes `car` and `red car`. Whitespace is kept exactly
//!   as written.
//! - A group without `|` is a group with one alternative: `{red}` is just `red` (and `{}` is the
//!   empty text).
//!
//! The order is stable: the leftmost group varies slowest, alternatives come in written order.
//! Identical results are kept (`{a|a}` makes `a` twice): the user wrote them, and each is a job.
//!
//! Errors are [`Error::InvalidInput`] on field `prompt`, naming the group by its 1-based character
//! position (characters, not bytes) and a short excerpt of the prompt there.

use crate::error::{Error, Result};

/// How many prompts [`expand`] makes unless the user raises the limit.
pub const DEFAULT_CAP: usize = 16;

/// The highest limit the user may choose.
pub const MAX_CAP: usize = 256;

/// How deep groups may nest; deeper is refused so a hostile prompt cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

/// How many characters of the prompt an error quotes.
const EXCERPT_CHARS: usize = 20;

/// How many prompts `prompt` makes, computed without expanding it (a template with 10 groups of 10
/// answers 10^10 at once). Saturates at `usize::MAX` instead of overflowing. At least 1.
pub fn count(prompt: &str) -> Result<usize> {
    Ok(count_sequence(&parse(prompt)?))
}

/// Every prompt `prompt` makes, in a stable order (leftmost group slowest, alternatives in written
/// order), with escapes resolved. A prompt without groups makes itself.
///
/// Refuses, before building anything, a `cap` outside `1..=MAX_CAP` (field `variations_cap`) and a
/// template that makes more than `cap` prompts (field `prompt`).
pub fn expand(prompt: &str, cap: usize) -> Result<Vec<String>> {
    if cap == 0 || cap > MAX_CAP {
        return Err(Error::invalid("variations_cap", format!("the limit must be between 1 and {MAX_CAP}, not {cap}")));
    }
    let parts = parse(prompt)?;
    let total = count_sequence(&parts);
    if total > cap {
        let total = if total == usize::MAX { format!("more than {total}") } else { total.to_string() };
        return Err(Error::invalid(
            "prompt",
            format!("makes {total} prompts, more than the limit of {cap}; raise the limit or remove a choice"),
        ));
    }
    Ok(expand_sequence(&parts))
}

/// A parsed prompt is a sequence of parts.
#[derive(Debug, PartialEq)]
enum Part {
    /// Literal text, escapes resolved.
    Text(String),
    /// A group: its alternatives, each a sequence of parts.
    Group(Vec<Vec<Part>>),
}

/// Product of the parts' counts; a group counts the sum of its alternatives' counts.
fn count_sequence(parts: &[Part]) -> usize {
    parts.iter().fold(1, |product, part| match part {
        Part::Text(_) => product,
        Part::Group(alternatives) => product
            .saturating_mul(alternatives.iter().fold(0, |sum: usize, alt| sum.saturating_add(count_sequence(alt)))),
    })
}

/// Every combination; callers bound the size with [`count_sequence`] first (no intermediate list
/// is longer than the final one).
fn expand_sequence(parts: &[Part]) -> Vec<String> {
    let mut prefixes = vec![String::new()];
    for part in parts {
        match part {
            Part::Text(text) => prefixes.iter_mut().for_each(|prefix| prefix.push_str(text)),
            Part::Group(alternatives) => {
                let choices: Vec<String> = alternatives.iter().flat_map(|alt| expand_sequence(alt)).collect();
                prefixes = prefixes
                    .iter()
                    .flat_map(|prefix| choices.iter().map(move |choice| format!("{prefix}{choice}")))
                    .collect();
            }
        }
    }
    prefixes
}

fn parse(prompt: &str) -> Result<Vec<Part>> {
    let mut parser = Parser { chars: prompt.chars().collect(), at: 0 };
    // At the top level the sequence only ends at the end of the prompt (a stray `}` is an error).
    parser.sequence(0)
}

/// A recursive-descent parser over the prompt's characters; `at` is the 0-based index of the next.
struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    /// One alternative (or the whole prompt at depth 0): up to the end, or, inside a group, up to
    /// the `|` or `}` that ends it (left for [`Parser::group`] to consume).
    fn sequence(&mut self, depth: usize) -> Result<Vec<Part>> {
        let mut parts = Vec::new();
        let mut text = String::new();
        while let Some(&c) = self.chars.get(self.at) {
            match c {
                '\\' => match self.chars.get(self.at + 1) {
                    Some(&escaped @ ('{' | '}' | '|' | '\\')) => {
                        text.push(escaped);
                        self.at += 2;
                    }
                    _ => {
                        text.push('\\');
                        self.at += 1;
                    }
                },
                '{' => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Group(self.group(depth + 1)?));
                }
                '|' | '}' if depth > 0 => break,
                '}' => return Err(self.stray_close()),
                _ => {
                    text.push(c);
                    self.at += 1;
                }
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(parts)
    }

    /// A group, from its `{` (the current character) to its `}`.
    fn group(&mut self, depth: usize) -> Result<Vec<Vec<Part>>> {
        let open = self.at;
        if depth > MAX_DEPTH {
            return Err(self.group_error(
                open,
                &format!("is nested more than {MAX_DEPTH} groups deep"),
                "remove a level or write `\\{` for a literal brace",
            ));
        }
        self.at += 1;
        let mut alternatives = Vec::new();
        loop {
            alternatives.push(self.sequence(depth)?);
            match self.chars.get(self.at) {
                Some('|') => self.at += 1,
                Some('}') => {
                    self.at += 1;
                    return Ok(alternatives);
                }
                _ => return Err(self.group_error(open, "is not closed", "add `}` or write `\\{` for a literal brace")),
            }
        }
    }

    /// "the group opened at character N <problem> (`{excerpt…` — <fix>)".
    fn group_error(&self, open: usize, problem: &str, fix: &str) -> Error {
        let end = (open + EXCERPT_CHARS).min(self.chars.len());
        let more = if end < self.chars.len() { "…" } else { "" };
        let excerpt = quote(&self.chars[open..end]);
        Error::invalid(
            "prompt",
            format!("the group opened at character {} {problem} (`{excerpt}{more}` — {fix})", open + 1),
        )
    }

    /// "`}` at character N closes no group (`…excerpt}` — …)", quoting the text before it.
    fn stray_close(&self) -> Error {
        let start = (self.at + 1).saturating_sub(EXCERPT_CHARS);
        let more = if start > 0 { "…" } else { "" };
        let excerpt = quote(&self.chars[start..=self.at]);
        Error::invalid(
            "prompt",
            format!(
                "`}}` at character {} closes no group (`{more}{excerpt}` — write `\\}}` for a literal brace)",
                self.at + 1
            ),
        )
    }
}

/// Prompt characters for an error message, on one line (newlines and tabs become spaces).
fn quote(chars: &[char]) -> String {
    chars.iter().map(|&c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(prompt: &str) -> Vec<String> {
        expand(prompt, MAX_CAP).unwrap()
    }

    /// The (field, reason) of an InvalidInput error.
    fn refusal(result: Result<impl std::fmt::Debug>) -> (String, String) {
        match result {
            Err(Error::InvalidInput { field, reason }) => (field, reason),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn prompt_error(prompt: &str) -> String {
        let (field, reason) = refusal(expand(prompt, MAX_CAP));
        assert_eq!(field, "prompt");
        // count reads the same syntax and refuses it the same way.
        assert_eq!(refusal(count(prompt)), (field, reason.clone()));
        reason
    }

    #[test]
    fn a_prompt_without_groups_makes_itself() {
        assert_eq!(ok("a red car at dusk"), ["a red car at dusk"]);
        assert_eq!(count("a red car at dusk").unwrap(), 1);
        assert_eq!(ok(""), [""]);
    }

    #[test]
    fn a_bar_outside_a_group_is_literal() {
        assert_eq!(ok("cats | dogs"), ["cats | dogs"]);
        assert_eq!(ok("a|{b|c}|d"), ["a|b|d", "a|c|d"]);
    }

    #[test]
    fn groups_multiply_with_the_leftmost_varying_slowest() {
        assert_eq!(ok("{a|b} {c|d}"), ["a c", "a d", "b c", "b d"]);
        assert_eq!(count("{a|b} {c|d}").unwrap(), 4);
        assert_eq!(ok("a {red|blue|green} car"), ["a red car", "a blue car", "a green car"]);
    }

    #[test]
    fn nested_groups_add_up_inside_their_alternative() {
        assert_eq!(ok("{a|{b|c}} x"), ["a x", "b x", "c x"]);
        assert_eq!(count("{a|{b|c}} x").unwrap(), 3);
        // A group inside the text of an alternative multiplies only that alternative.
        assert_eq!(ok("{x {a|b}|y}"), ["x a", "x b", "y"]);
        assert_eq!(count("{x {a|b}|y}").unwrap(), 3);
        assert_eq!(ok("{a|{b|c}{d|e}}"), ["a", "bd", "be", "cd", "ce"]);
        assert_eq!(ok("{{{deep}}}"), ["deep"]);
    }

    #[test]
    fn escapes_give_literal_characters() {
        assert_eq!(ok(r"\{not a group\}"), ["{not a group}"]);
        assert_eq!(ok(r"{a\|b|c}"), ["a|b", "c"]);
        assert_eq!(ok(r"{a\}|b}"), ["a}", "b"]);
        assert_eq!(ok(r"\\{a|b}"), [r"\a", r"\b"]);
        assert_eq!(count(r"\{a|b\}").unwrap(), 1);
    }

    #[test]
    fn other_backslashes_are_kept_as_written() {
        assert_eq!(ok(r"C:\images\new {a|b}"), [r"C:\images\new a", r"C:\images\new b"]);
        assert_eq!(ok(r"ends with \"), [r"ends with \"]);
        assert_eq!(ok(r"\n\t"), [r"\n\t"]);
    }

    #[test]
    fn alternatives_may_be_empty() {
        assert_eq!(ok("{|red }car"), ["car", "red car"]);
        assert_eq!(ok("{a|}"), ["a", ""]);
        assert_eq!(ok("x{}y"), ["xy"]);
        assert_eq!(count("{||}").unwrap(), 3);
    }

    #[test]
    fn a_group_without_a_bar_is_its_text() {
        assert_eq!(ok("{red} car"), ["red car"]);
        assert_eq!(count("{red} car").unwrap(), 1);
    }

    #[test]
    fn whitespace_is_kept_and_duplicates_are_kept() {
        assert_eq!(ok(" { a | b } "), ["  a  ", "  b  "]);
        assert_eq!(ok("{a\n|b}"), ["a\n", "b"]);
        assert_eq!(ok("{a|a}"), ["a", "a"]);
    }

    #[test]
    fn an_unclosed_group_is_named_with_its_position_and_text() {
        assert_eq!(
            prompt_error("a {red|blue car"),
            "the group opened at character 3 is not closed (`{red|blue car` — add `}` or write `\\{` for a literal brace)"
        );
        // A long rest is cut to 20 characters.
        assert_eq!(
            prompt_error("{a very long group that goes on"),
            "the group opened at character 1 is not closed (`{a very long group t…` — add `}` or write `\\{` for a literal brace)"
        );
        // An escaped brace does not close it.
        assert!(prompt_error(r"{a\}").starts_with("the group opened at character 1 is not closed"));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        assert!(prompt_error("🌸 {a|b").starts_with("the group opened at character 3 is not closed (`{a|b`"));
        assert!(prompt_error("é}").starts_with("`}` at character 2 closes no group"));
    }

    #[test]
    fn the_innermost_unclosed_group_is_named() {
        assert!(prompt_error("{a|{b|{c|d}").starts_with("the group opened at character 4 is not closed (`{b|{c|d}`"));
        assert!(prompt_error("{a|{b|c} d").starts_with("the group opened at character 1 is not closed"));
    }

    #[test]
    fn a_stray_close_is_named_with_its_position_and_the_text_before_it() {
        assert_eq!(
            prompt_error("a red car}"),
            "`}` at character 10 closes no group (`a red car}` — write `\\}` for a literal brace)"
        );
        assert_eq!(
            prompt_error("{a|b} and a rather long tail}"),
            "`}` at character 29 closes no group (`… a rather long tail}` — write `\\}` for a literal brace)"
        );
        // Newlines in the excerpt are shown as spaces.
        assert!(prompt_error("a\nb}").contains("(`a b}`"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deepest = format!("{}x{}", "{".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert_eq!(ok(&deepest), ["x"]);
        let deeper = format!("{}x{}", "{".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
        assert!(prompt_error(&deeper).starts_with(&format!(
            "the group opened at character {} is nested more than {MAX_DEPTH} groups deep",
            MAX_DEPTH + 1
        )));
        // A hostile prompt is refused, not a stack overflow.
        assert!(prompt_error(&"{".repeat(100_000)).contains("nested more than"));
    }

    #[test]
    fn count_does_not_expand_a_huge_template() {
        let template = ["{0|1|2|3|4|5|6|7|8|9}"; 10].join(" ");
        let total = 10usize.saturating_pow(10);
        assert_eq!(count(&template).unwrap(), total);
        let (field, reason) = refusal(expand(&template, MAX_CAP));
        assert_eq!(field, "prompt");
        assert_eq!(
            reason,
            format!("makes {total} prompts, more than the limit of 256; raise the limit or remove a choice")
        );
        // Far past usize: saturates instead of overflowing.
        let astronomical = ["{0|1|2|3|4|5|6|7|8|9}"; 40].join("");
        assert_eq!(count(&astronomical).unwrap(), usize::MAX);
        let (_, reason) = refusal(expand(&astronomical, MAX_CAP));
        assert!(reason.starts_with(&format!("makes more than {} prompts", usize::MAX)), "{reason}");
    }

    #[test]
    fn the_cap_allows_exactly_its_count() {
        assert_eq!(expand("{a|b|c} {d|e}", 6).unwrap().len(), 6);
        let (field, reason) = refusal(expand("{a|b|c} {d|e}", 5));
        assert_eq!(field, "prompt");
        assert_eq!(reason, "makes 6 prompts, more than the limit of 5; raise the limit or remove a choice");

        let sixteen = format!("{{{}}}", (1..=16).map(|n| n.to_string()).collect::<Vec<_>>().join("|"));
        assert_eq!(expand(&sixteen, DEFAULT_CAP).unwrap().len(), 16);
        let seventeen = format!("{{{}}}", (1..=17).map(|n| n.to_string()).collect::<Vec<_>>().join("|"));
        assert!(expand(&seventeen, DEFAULT_CAP).is_err());
    }

    #[test]
    fn the_cap_itself_is_bounded() {
        assert_eq!(expand("x", MAX_CAP).unwrap(), ["x"]);
        for cap in [0, MAX_CAP + 1, usize::MAX] {
            let (field, reason) = refusal(expand("x", cap));
            assert_eq!(field, "variations_cap");
            assert_eq!(reason, format!("the limit must be between 1 and 256, not {cap}"));
        }
        // The cap is checked before the syntax.
        assert_eq!(refusal(expand("{", 0)).0, "variations_cap");
    }
}
