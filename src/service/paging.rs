//! One page of a long listing (the registrar's documents, the auditors'
//! signature log): which rows, and where they sit in the whole. One
//! arithmetic for every listing, checked so that no page number a visitor
//! can type (0, a negative one, one with twenty digits) panics or overflows:
//! anything before the first page is the first, anything past the last is
//! the last.

/// Most rows on one page.
pub const PAGE_SIZE: usize = 50;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows on this page, in the listing's order.
    pub rows: Vec<T>,
    /// How many rows the listing has in all.
    pub total: usize,
    /// The position of the first row in the whole listing (0-based).
    pub offset: usize,
    /// The page shown, from 1.
    pub page: usize,
    /// How many pages there are (at least 1, an empty listing has one empty page).
    pub pages: usize,
}

impl<T> Page<T> {
    /// Page `asked` (from 1) of `all`.
    pub fn of(all: Vec<T>, asked: usize) -> Page<T> {
        let total = all.len();
        let pages = total.div_ceil(PAGE_SIZE).max(1);
        let page = asked.clamp(1, pages);
        // page <= pages, so the offset is at most `total`: it cannot overflow.
        let offset = (page - 1).saturating_mul(PAGE_SIZE);
        let rows = all.into_iter().skip(offset).take(PAGE_SIZE).collect();
        Page {
            rows,
            total,
            offset,
            page,
            pages,
        }
    }

    /// The same page with each row made into another.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            total: self.total,
            offset: self.offset,
            page: self.page,
            pages: self.pages,
        }
    }

    /// The first row shown, counted from 1 (0 when there are none).
    pub fn first(&self) -> usize {
        if self.rows.is_empty() {
            0
        } else {
            self.offset + 1
        }
    }

    /// The last row shown, counted from 1 (0 when there are none).
    pub fn last(&self) -> usize {
        self.offset + self.rows.len()
    }

    /// The page numbers to link to: the first, the last, and two on each
    /// side of this one; `None` stands for the pages left out between.
    pub fn numbers(&self) -> Vec<Option<usize>> {
        let mut out = Vec::new();
        let mut previous = 0;
        for n in 1..=self.pages {
            if n == 1 || n == self.pages || n.abs_diff(self.page) <= 2 {
                if n > previous + 1 {
                    out.push(None);
                }
                out.push(Some(n));
                previous = n;
            }
        }
        out
    }
}

/// A page number as typed in a query: digits, however many (too many for
/// a number is past the last page); anything else is the first page.
pub fn page_number(text: &str) -> usize {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return 1;
    }
    text.parse().unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_fifty_rows_and_say_where_they_are() {
        let p = Page::of(Vec::<u32>::new(), 3);
        assert_eq!((p.page, p.pages, p.first(), p.last()), (1, 1, 0, 0));
        assert!(p.rows.is_empty());
        let p = Page::of((1..=120).collect(), 1);
        assert_eq!((p.first(), p.last(), p.pages, p.offset), (1, 50, 3, 0));
        let p = Page::of((1..=120).collect::<Vec<u32>>(), 3);
        assert_eq!((p.page, p.first(), p.last()), (3, 101, 120));
        assert_eq!(p.rows, (101..=120).collect::<Vec<_>>());
        let p = Page::of((1..=50).collect::<Vec<u32>>(), 2);
        assert_eq!((p.page, p.pages, p.rows.len()), (1, 1, 50));
    }

    #[test]
    fn no_page_number_panics_or_overflows() {
        let rows = || (1..=120).collect::<Vec<u32>>();
        for asked in [0, 1, usize::MAX, usize::MAX - 1] {
            let p = Page::of(rows(), asked);
            assert!((1..=3).contains(&p.page), "{asked}");
            assert_eq!(p.last() - p.offset, p.rows.len());
        }
        assert_eq!(Page::of(rows(), 0).page, 1);
        assert_eq!(Page::of(rows(), usize::MAX).page, 3);
        assert_eq!(Page::of(Vec::<u32>::new(), usize::MAX).page, 1);
        for (typed, page) in [
            ("99999999999999999999", 3),
            ("0", 1),
            ("-1", 1),
            ("", 1),
            ("2", 2),
            (" 2 ", 2),
            ("2e3", 1),
            ("+2", 1),
        ] {
            assert_eq!(Page::of(rows(), page_number(typed)).page, page, "{typed}");
        }
        assert_eq!(page_number("99999999999999999999"), usize::MAX);
    }

    #[test]
    fn near_pages_are_linked_and_gaps_marked() {
        let p = Page::of((0..1000).collect::<Vec<u32>>(), 10);
        assert_eq!(
            p.numbers(),
            vec![
                Some(1),
                None,
                Some(8),
                Some(9),
                Some(10),
                Some(11),
                Some(12),
                None,
                Some(20)
            ]
        );
        assert_eq!(
            Page::of((0..50).collect::<Vec<u32>>(), 1).numbers(),
            vec![Some(1)]
        );
    }
}
