//! Logical lines and the lexical primitives shared by every value rule: optional whitespace,
//! names, tokens, quoted strings, numbers.
//!
//! Primitives are nom parsers over `&str`, hand-written as byte scanners (every delimiter is
//! ASCII, so a byte index they stop at is always a character boundary); they borrow from
//! the input and only allocate when a quoted string holds a backslash escape.

use std::borrow::Cow;

use nom::IResult;
use nom::error::{ErrorKind, ParseError};

use crate::Position;

/// `OWS` (RFC 7230): the run of SP and HTAB at the start of `i`, possibly empty.
#[allow(clippy::unnecessary_wraps)] // a nom parser that cannot fail
pub(crate) fn ows<'a, E: ParseError<&'a str>>(i: &'a str) -> IResult<&'a str, &'a str, E> {
    let n = i.bytes().take_while(|b| matches!(b, b' ' | b'\t')).count();
    Ok((&i[n..], &i[..n]))
}

/// The run of characters at the start of `i` that may form a term, attribute or parameter
/// name, possibly empty.
#[allow(clippy::unnecessary_wraps)] // a nom parser that cannot fail
pub(crate) fn name<'a, E: ParseError<&'a str>>(i: &'a str) -> IResult<&'a str, &'a str, E> {
    let n = i
        .bytes()
        .position(|b| !NAME_BYTES[usize::from(b)])
        .unwrap_or(i.len());
    Ok((&i[n..], &i[..n]))
}

/// The bytes [`name`] takes: ASCII letters and digits, `.`, `-` and `_`.
static NAME_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        // `b` is below 256, so the cast is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_');
        b += 1;
    }
    t
};

/// The run of bytes at the start of `i` up to the first one `stop` accepts (or the end),
/// possibly empty.
pub(crate) fn till<'a, E: ParseError<&'a str>>(
    stop: impl Fn(u8) -> bool,
) -> impl Fn(&'a str) -> IResult<&'a str, &'a str, E> {
    move |i: &'a str| {
        let n = i.bytes().position(&stop).unwrap_or(i.len());
        Ok((&i[n..], &i[..n]))
    }
}

/// An RFC 7230 `tchar`.
pub(crate) fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '*'
                | '+'
                | '-'
                | '.'
                | '^'
                | '_'
                | '`'
                | '|'
                | '~'
        )
}

/// A mask with the high bit set in the bytes of `chunk` (little-endian order) that may need
/// attention inside a quoted string: `"`, `\`, a byte below 0x20, DEL or 0xC2 (the lead byte
/// of the C1 controls). Bytes above a flagged one may be flagged falsely; the lowest flagged
/// byte is always the first special one, so every byte below it is plain.
pub(crate) fn special_mask(chunk: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The lowest zero byte of `x` sets its own high bit in `zero(x)`; a borrow can only flag
    // bytes above a zero byte.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let below_0x20 = chunk.wrapping_sub(ONES * 0x20) & !chunk & HIGHS;
    zero(chunk ^ (ONES * u64::from(b'"')))
        | zero(chunk ^ (ONES * u64::from(b'\\')))
        | zero(chunk ^ (ONES * 0x7f))
        | zero(chunk ^ (ONES * 0xc2))
        | below_0x20
}

/// The number of leading bytes of `bytes` that are plain inside a quoted string (see
/// [`special_mask`]), found eight bytes at a time; the byte at the returned index (if any)
/// may or may not be special.
pub(crate) fn plain_prefix(bytes: &[u8]) -> usize {
    let mut k = 0;
    while let Some(chunk) = bytes.get(k..k + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let mask = special_mask(u64::from_le_bytes(word));
        if mask != 0 {
            return k + (mask.trailing_zeros() / 8) as usize;
        }
        k += 8;
    }
    k
}

/// Why a quoted string failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotedError {
    /// No opening or no closing quote.
    Unterminated,
    /// A control character (other than HTAB) at this byte offset from the opening quote.
    Control(usize),
}

impl ParseError<&str> for QuotedError {
    fn from_error_kind(_: &str, _: ErrorKind) -> Self {
        Self::Unterminated
    }

    fn append(_: &str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

/// An RFC 7230 `quoted-string` at the start of `i`: the unescaped content, borrowed when
/// there is no escape.
pub(crate) fn quoted_string(i: &str) -> IResult<&str, Cow<'_, str>, QuotedError> {
    let bytes = i.as_bytes();
    if bytes.first() != Some(&b'"') {
        return Err(nom::Err::Error(QuotedError::Unterminated));
    }
    // Most values hold no escape and no control character: the closing quote is the first
    // `"` or `\`, and nothing before it needs a closer look. Anything else takes the loop
    // below.
    if let Some(end) = memchr::memchr2(b'"', b'\\', &bytes[1..]).map(|k| k + 1)
        && bytes[end] == b'"'
        && !has_control_or_c1_lead(&bytes[1..end])
    {
        return Ok((&i[end + 1..], Cow::Borrowed(&i[1..end])));
    }
    quoted_string_escaped(i)
}

/// Whether `bytes` holds a byte below 0x20, DEL or 0xC2 (the lead byte of the C1
/// controls).
#[allow(clippy::needless_bitwise_bool)] // no short circuit: that is what lets it vectorize
fn has_control_or_c1_lead(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == 0x7f) | (b == 0xc2)
    })
}

/// [`quoted_string`] byte by byte, for values that hold an escape or a control character
/// (or that the fast check cannot settle).
fn quoted_string_escaped(i: &str) -> IResult<&str, Cow<'_, str>, QuotedError> {
    let bytes = i.as_bytes();
    if bytes.first() != Some(&b'"') {
        return Err(nom::Err::Error(QuotedError::Unterminated));
    }
    let mut owned: Option<String> = None;
    let mut run_start = 1;
    let mut k = 1;
    while k < bytes.len() {
        // Skip plain bytes eight at a time, up to the first that may be special.
        k += plain_prefix(&bytes[k..]);
        let Some(&byte) = bytes.get(k) else {
            break;
        };
        match byte {
            b'"' => {
                let content = match owned {
                    Some(mut s) => {
                        s.push_str(&i[run_start..k]);
                        Cow::Owned(s)
                    }
                    None => Cow::Borrowed(&i[1..k]),
                };
                return Ok((&i[k + 1..], content));
            }
            b'\\' => {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&i[run_start..k]);
                // The escaped character may be multi-byte.
                let Some(c) = i[k + 1..].chars().next() else {
                    return Err(nom::Err::Error(QuotedError::Unterminated));
                };
                if c.is_control() && c != '\t' {
                    return Err(nom::Err::Error(QuotedError::Control(k + 1)));
                }
                s.push(c);
                k += 1 + c.len_utf8();
                run_start = k;
            }
            b if (b < 0x20 && b != b'\t') || b == 0x7f => {
                return Err(nom::Err::Error(QuotedError::Control(k)));
            }
            // C1 controls (U+0080 to U+009F) are encoded as 0xC2 0x80..=0x9F.
            0xc2 if matches!(bytes.get(k + 1), Some(0x80..=0x9f)) => {
                return Err(nom::Err::Error(QuotedError::Control(k)));
            }
            _ => k += 1,
        }
    }
    Err(nom::Err::Error(QuotedError::Unterminated))
}

/// The shape of an unquoted number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberShape {
    /// `-?DIGIT+`.
    Integer,
    /// `-?*DIGIT "." *DIGIT` with at least one digit.
    Float,
}

/// Classifies `s` as a number: its shape and whether it uses a form the grammar lacks
/// (a `+` sign or an exponent). `None` if `s` is not a number at all.
pub(crate) fn number_shape(s: &str) -> Option<(NumberShape, bool)> {
    let b = s.as_bytes();
    let mut k = 0;
    let mut nonstandard = false;
    match b.first() {
        Some(b'-') => k = 1,
        Some(b'+') => {
            k = 1;
            nonstandard = true;
        }
        _ => {}
    }
    let int_start = k;
    while k < b.len() && b[k].is_ascii_digit() {
        k += 1;
    }
    let mut digits = k - int_start;
    let mut shape = NumberShape::Integer;
    if k < b.len() && b[k] == b'.' {
        shape = NumberShape::Float;
        k += 1;
        let frac_start = k;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        digits += k - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if k < b.len() && (b[k] == b'e' || b[k] == b'E') {
        shape = NumberShape::Float;
        nonstandard = true;
        k += 1;
        if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
            k += 1;
        }
        let exp_start = k;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        if k == exp_start {
            return None;
        }
    }
    (k == b.len()).then_some((shape, nonstandard))
}

/// One piece of a logical line: where its text starts in the logical line and in the input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    /// Byte offset in the logical line.
    pub(crate) joined: usize,
    /// Byte offset in the input.
    pub(crate) orig: usize,
    /// 1-based physical line.
    pub(crate) line: usize,
    /// Byte offset of the physical line's start in the input.
    pub(crate) line_start: usize,
}

/// Maps byte offsets in a logical line back to input positions, counting columns
/// incrementally so that locating many offsets of one line stays linear.
#[derive(Debug)]
pub(crate) struct Locator<'a> {
    input: &'a str,
    first: Segment,
    more: Vec<Segment>,
    /// Last located (input offset, column), to count onwards from.
    cache: (usize, usize),
}

impl<'a> Locator<'a> {
    pub(crate) fn new(input: &'a str, first: Segment) -> Self {
        Self {
            input,
            first,
            more: Vec::new(),
            cache: (first.line_start, 1),
        }
    }

    pub(crate) fn push(&mut self, segment: Segment) {
        self.more.push(segment);
    }

    /// The input position of byte `offset` of the logical line.
    pub(crate) fn locate(&mut self, offset: usize) -> Position {
        let seg = self
            .more
            .iter()
            .rev()
            .find(|s| s.joined <= offset)
            .copied()
            .unwrap_or(self.first);
        let mut orig = (seg.orig + (offset - seg.joined)).min(self.input.len());
        while !self.input.is_char_boundary(orig) {
            orig -= 1;
        }
        let (from, col) = if self.cache.0 >= seg.line_start && self.cache.0 <= orig {
            self.cache
        } else {
            (seg.line_start, 1)
        };
        let between = &self.input[from..orig];
        let column = col
            + if between.is_ascii() {
                between.len()
            } else {
                between.chars().count()
            };
        self.cache = (orig, column);
        Position {
            offset: orig,
            line: seg.line,
            column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(i: &str) -> Result<(&str, Cow<'_, str>), QuotedError> {
        quoted_string(i).map_err(|e| match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => unreachable!("complete parsers"),
        })
    }

    proptest::proptest! {
        /// The fast check of plain values answers exactly as the byte-by-byte loop.
        #[test]
        fn the_fast_path_agrees_with_the_loop(
            s in "\"[a-z \\t\"\\\\\u{7f}\u{80}\u{85}\u{e9}\u{1}]{0,12}\"?[a-z,;]{0,3}"
        ) {
            proptest::prop_assert_eq!(quoted_string(&s), quoted_string_escaped(&s));
        }
    }

    #[test]
    fn quoted_strings_unescape_and_borrow() {
        let (rest, s) = quoted(r#""abc"; x"#).unwrap();
        assert_eq!((rest, &*s), ("; x", "abc"));
        assert!(matches!(s, Cow::Borrowed(_)));
        let (_, s) = quoted(r#""He said \"hi\", x=1.0\\""#).unwrap();
        assert_eq!(&*s, r#"He said "hi", x=1.0\"#);
        assert_eq!(quoted("\"abc"), Err(QuotedError::Unterminated));
        assert_eq!(quoted("\"a\\"), Err(QuotedError::Unterminated));
        assert_eq!(quoted("\"a\u{1}\""), Err(QuotedError::Control(2)));
        assert_eq!(quoted("\"a\u{85}\""), Err(QuotedError::Control(2)));
        assert_eq!(quoted("\"a\\\u{85}\""), Err(QuotedError::Control(3)));
        let (_, s) = quoted("\"\\é\"").unwrap();
        assert_eq!(&*s, "é");
        // The same answers when the special byte sits deep inside an eight-byte chunk.
        let (rest, s) = quoted("\"0123456789abcdef\" x").unwrap();
        assert_eq!((rest, &*s), (" x", "0123456789abcdef"));
        let (_, s) = quoted("\"0123456789\\\"abcdef\"").unwrap();
        assert_eq!(&*s, "0123456789\"abcdef");
        assert_eq!(
            quoted("\"0123456789\u{7f}\""),
            Err(QuotedError::Control(11))
        );
        assert_eq!(
            quoted("\"0123456789\tab\u{85}\""),
            Err(QuotedError::Control(14))
        );
        assert_eq!(
            quoted("\"0123456789\tabcdefghijklmn"),
            Err(QuotedError::Unterminated)
        );
        let (_, s) = quoted("\"0123456789\tabcdefgh\u{e9}\u{c3}\"").unwrap();
        assert_eq!(&*s, "0123456789\tabcdefgh\u{e9}\u{c3}");
    }

    proptest::proptest! {
        #[test]
        fn the_chunk_filter_flags_the_first_special_byte(chunk: [u8; 8]) {
            let first = chunk
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20 || b == 0x7f || b == 0xc2);
            let mask = special_mask(u64::from_le_bytes(chunk));
            let flagged = (mask != 0).then(|| (mask.trailing_zeros() / 8) as usize);
            proptest::prop_assert_eq!(flagged, first);
        }

        #[test]
        fn the_plain_prefix_is_plain(bytes in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'"', b'\\', 0xc2, 0x85, b'\t', 0x7f, 1]),
            0..40,
        )) {
            let n = plain_prefix(&bytes);
            let special = |b: &u8| *b == b'"' || *b == b'\\' || *b < 0x20 || *b == 0x7f || *b == 0xc2;
            proptest::prop_assert!(!bytes[..n].iter().any(special));
            let first = bytes.iter().position(special).unwrap_or(bytes.len());
            // Exact within the whole eight-byte chunks; the tail is left to the caller.
            proptest::prop_assert_eq!(n, first.min(bytes.len() - bytes.len() % 8));
        }
    }

    #[test]
    fn number_shapes() {
        use NumberShape::{Float, Integer};
        assert_eq!(number_shape("2"), Some((Integer, false)));
        assert_eq!(number_shape("-2"), Some((Integer, false)));
        assert_eq!(number_shape("+2"), Some((Integer, true)));
        assert_eq!(number_shape("2.0"), Some((Float, false)));
        assert_eq!(number_shape(".5"), Some((Float, false)));
        assert_eq!(number_shape("5."), Some((Float, false)));
        assert_eq!(number_shape("1e3"), Some((Float, true)));
        assert_eq!(number_shape("1.5E-3"), Some((Float, true)));
        for bad in ["", ".", "-", "1e", "1x", "e3", "1.2.3", "--1"] {
            assert_eq!(number_shape(bad), None, "{bad}");
        }
    }

    #[test]
    fn locator_counts_characters_and_segments() {
        let input = "ab\nCategory: é x\n y";
        let mut loc = Locator::new(
            input,
            Segment {
                joined: 0,
                orig: 3,
                line: 2,
                line_start: 3,
            },
        );
        loc.push(Segment {
            joined: 15,
            orig: 19,
            line: 3,
            line_start: 18,
        });
        let p = loc.locate(13);
        assert_eq!((p.line, p.column, p.offset), (2, 13, 16));
        let p = loc.locate(15);
        assert_eq!((p.line, p.column, p.offset), (3, 2, 19));
        // Going backwards recounts from the line start.
        let p = loc.locate(0);
        assert_eq!((p.line, p.column), (2, 1));
    }
}
