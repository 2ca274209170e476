//! Turning what the user typed into a safe FTS5 query, and marking the matches in a prompt.
//!
//! User text is never FTS5 syntax: it is split into words (letters and digits, as the `unicode61`
//! tokenizer sees them), each word becomes a quoted phrase with a prefix star (`"word"*`), and the
//! phrases are ANDed. So `"`, `*`, `-`, `NEAR`, `AND`, `:` or `^` are plain text, never operators,
//! and "portrait" also finds "portraits".
//!
//! Matches are marked with [`MATCH_START`] and [`MATCH_END`] (control characters, not HTML), so
//! the UI splits the text and renders the marked parts as text nodes: nothing to inject.
//! The marking is done here rather than by FTS5's `highlight()`: for a prefix query FTS5
//! re-evaluates the whole query for each row it highlights (~5 ms a row at 100,000 prompts).
//! FTS5 still decides which rows match; this only finds the words to mark, folding case and
//! diacritics the way `unicode61 remove_diacritics 2` does.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Marks the start of a matched word in highlighted text (`\u{2}`, START OF TEXT).
pub const MATCH_START: char = '\u{2}';
/// Marks the end of a matched word in highlighted text (`\u{3}`, END OF TEXT).
pub const MATCH_END: char = '\u{3}';

const MAX_WORDS: usize = 16;
const MAX_WORD_CHARS: usize = 64;

/// The words of a search, as typed (bounded in number and length).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect())
        .collect()
}

/// The FTS5 MATCH expression for `text`, or `None` when it holds no searchable word.
pub fn match_expression(text: &str) -> Option<String> {
    let words = words(text);
    if words.is_empty() {
        return None;
    }
    Some(words.iter().map(|w| prefix_phrase(w)).collect::<Vec<_>>().join(" "))
}

/// `word` as one literal FTS5 phrase, even if it spells an operator (`"` doubled, as FTS5 wants).
pub fn phrase(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

/// [`phrase`] matching every word that starts with `word`.
pub fn prefix_phrase(word: &str) -> String {
    format!("{}*", phrase(word))
}

/// `prompt` with every word that starts with one of the search's words marked.
pub fn highlight(prompt: &str, text: &str) -> String {
    let wanted: Vec<String> = words(text).iter().map(|w| fold(w)).collect();
    let mut out = String::with_capacity(prompt.len() + 8);
    let mut rest = prompt;
    while !rest.is_empty() {
        let word_len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        if word_len == 0 {
            let gap = rest.find(is_word_char).unwrap_or(rest.len());
            out.push_str(&rest[..gap]);
            rest = &rest[gap..];
            continue;
        }
        let word = &rest[..word_len];
        let folded = fold(word);
        if wanted.iter().any(|w| folded.starts_with(w.as_str())) {
            out.push(MATCH_START);
            out.push_str(word);
            out.push(MATCH_END);
        } else {
            out.push_str(word);
        }
        rest = &rest[word_len..];
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Lower case without diacritics: "Café" → "cafe".
pub fn fold(word: &str) -> String {
    word.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_prefix_phrases() {
        assert_eq!(match_expression("Red fox").as_deref(), Some("\"Red\"* \"fox\"*"));
        assert_eq!(match_expression("  café-au-lait ").as_deref(), Some("\"café\"* \"au\"* \"lait\"*"));
        assert_eq!(match_expression("a NEAR b").as_deref(), Some("\"a\"* \"NEAR\"* \"b\"*"));
        assert_eq!(match_expression("\"quoted\" -not *star"), Some("\"quoted\"* \"not\"* \"star\"*".into()));
        assert_eq!(match_expression("\" * - ^ :"), None);
        assert_eq!(match_expression(""), None);
    }

    #[test]
    fn very_long_input_is_bounded() {
        let text = "word ".repeat(1000);
        let expr = match_expression(&text).unwrap();
        assert_eq!(expr.matches('*').count(), MAX_WORDS);
        let long = "x".repeat(10_000);
        assert_eq!(match_expression(&long).unwrap().len(), MAX_WORD_CHARS + 3);
    }

    #[test]
    fn marks_whole_words_that_start_with_a_search_word() {
        let (s, e) = (MATCH_START, MATCH_END);
        assert_eq!(highlight("Two foxes, one Fox!", "fox"), format!("Two {s}foxes{e}, one {s}Fox{e}!"));
        assert_eq!(highlight("a café in Zürich", "CAFE zur"), format!("a {s}café{e} in {s}Zürich{e}"));
        // Decomposed input (e + combining acute) stays one word.
        assert_eq!(highlight("cafe\u{301} noir", "café"), format!("{s}cafe\u{301}{e} noir"));
        assert_eq!(highlight("snow fox", "ox"), "snow fox", "prefixes only, as FTS5 matches");
        assert_eq!(highlight("<b>bold</b>", "b"), format!("<{s}b{e}>{s}bold{e}</{s}b{e}>"), "text, not markup");
        assert_eq!(highlight("", "x"), "");
        assert_eq!(highlight("unchanged", "***"), "unchanged");
    }
}
