//! A small glob matcher for requirement ids, as used by `--only` and `--skip`.
//!
//! Two wildcards are understood: `*` matches any run of characters (including none) and `?`
//! matches exactly one character. Every other character matches itself, ignoring ASCII case,
//! so `qi-*` selects the same requirements as `QI-*`.
//!
//! ```
//! use occi_conformance::glob::Glob;
//!
//! let glob = Glob::new("ENT-01?");
//! assert!(glob.matches("ENT-010"));
//! assert!(!glob.matches("ENT-001"));
//! assert!(Glob::new("QI-*").matches("QI-027"));
//! ```

use std::fmt;

/// A compiled glob pattern over requirement ids.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Glob {
    pattern: String,
    chars: Vec<char>,
}

impl Glob {
    /// Compiles `pattern`. Every string is a valid pattern.
    pub fn new(pattern: &str) -> Self {
        Self {
            pattern: pattern.to_owned(),
            chars: pattern.chars().collect(),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern has a wildcard; a pattern without one matches a single id.
    pub fn is_literal(&self) -> bool {
        !self.chars.iter().any(|&c| c == '*' || c == '?')
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let pattern = &self.chars;
        let (mut p, mut t) = (0, 0);
        // Position of the last `*` seen, and the text position it currently absorbs up to.
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < pattern.len()
                && (pattern[p] == '?'
                    || (pattern[p] != '*' && pattern[p].eq_ignore_ascii_case(&text[t])))
            {
                p += 1;
                t += 1;
            } else if p < pattern.len() && pattern[p] == '*' {
                star = Some((p, t));
                p += 1;
            } else if let Some((star_p, star_t)) = star {
                // Let the last `*` absorb one more character and retry.
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            } else {
                return false;
            }
        }
        pattern[p..].iter().all(|&c| c == '*')
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Glob").field(&self.pattern).finish()
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn known_answers() {
        let cases: &[(&str, &str, bool)] = &[
            ("QI-*", "QI-001", true),
            ("QI-*", "QI-", true),
            ("QI-*", "ENT-001", false),
            ("ENT-01?", "ENT-010", true),
            ("ENT-01?", "ENT-019", true),
            ("ENT-01?", "ENT-01", false),
            ("ENT-01?", "ENT-0100", false),
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("?", "", false),
            ("*-001", "QI-001", true),
            ("*-001", "QI-002", false),
            ("*I-0*1", "QI-021", true),
            ("*I-0*1", "QI-022", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "abcbc", true),
            ("a*b*c", "acb", false),
            ("**x", "yyx", true),
            ("qi-00?", "QI-005", true),
            ("QI-001", "QI-001", true),
            ("QI-001", "QI-0010", false),
        ];
        for &(pattern, text, expected) in cases {
            assert_eq!(
                Glob::new(pattern).matches(text),
                expected,
                "{pattern:?} against {text:?}"
            );
        }
    }

    #[test]
    fn literal_detection_and_display() {
        assert!(Glob::new("QI-001").is_literal());
        assert!(!Glob::new("QI-*").is_literal());
        assert!(!Glob::new("QI-00?").is_literal());
        assert_eq!(Glob::new("QI-*").to_string(), "QI-*");
        assert_eq!(Glob::new("QI-*").as_str(), "QI-*");
    }
}
