//! The deterministic dataset: every row is a function of (seed, table, row
//! number) only, so it does not depend on how rows are batched into INSERTs,
//! and the same flags give the same data on every backend.

use std::ops::Range;

use crate::schema::{Author, Book, BookTag, Review, Tag};

/// Dataset sizes (flags `--authors`, `--books-per-author`, ...).
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub authors: u32,
    pub books_per_author: u32,
    pub reviews_per_book: u32,
    pub tags: u32,
    pub tags_per_book: u32,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            authors: 10_000,
            books_per_author: 10,
            reviews_per_book: 3,
            tags: 50,
            tags_per_book: 2,
        }
    }
}

impl Sizes {
    pub fn books(&self) -> u64 {
        u64::from(self.authors) * u64::from(self.books_per_author)
    }
    pub fn reviews(&self) -> u64 {
        self.books() * u64::from(self.reviews_per_book)
    }
    pub fn book_tags(&self) -> u64 {
        self.books() * u64::from(self.tags_per_book)
    }

    /// Ids are `INTEGER` (`i32`): every table must fit.
    pub fn check(&self) -> Result<(), String> {
        if self.tags_per_book > self.tags {
            return Err(format!(
                "--tags-per-book {} exceeds --tags {}: a book's tags are distinct",
                self.tags_per_book, self.tags
            ));
        }
        let largest = self.reviews().max(self.book_tags()).max(self.books());
        if largest > i32::MAX as u64 {
            return Err(format!(
                "{largest} rows in one table do not fit INTEGER ids"
            ));
        }
        Ok(())
    }
}

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for test data.
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for row `row` of table `table`: rows are independent.
    pub fn for_row(seed: u64, table: u64, row: u64) -> Self {
        let mut g = SplitMix64(seed ^ table.wrapping_mul(0xA076_1D64_78BD_642F));
        g.0 ^= g.next_u64() ^ row.wrapping_mul(0xE703_7ED1_A0B4_28DB);
        SplitMix64(g.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-32 for small n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Ursula",
    "Octavia",
    "Iain",
    "Ann",
    "Stanislaw",
    "Frank",
    "Connie",
    "Ted",
    "Gene",
    "Lois",
    "Samuel",
    "Kim",
    "Nnedi",
    "Martha",
    "Ada",
    "Jorge",
    "Italo",
    "Clarice",
    "Naguib",
    "Wisława",
];
const LAST: &[&str] = &[
    "Le Guin",
    "Butler",
    "Banks",
    "Leckie",
    "Lem",
    "Herbert",
    "Willis",
    "Chiang",
    "Wolfe",
    "Bujold",
    "Delany",
    "Robinson",
    "Okorafor",
    "Wells",
    "Palmer",
    "Borges",
    "Calvino",
    "Lispector",
    "Mahfouz",
    "Szymborska",
];
const WORDS: &[&str] = &[
    "river", "glass", "winter", "engine", "harbour", "lantern", "orchard", "silence", "comet",
    "library", "mirror", "salt", "tower", "garden", "signal", "ember", "quiet", "distant", "paper",
    "ocean", "iron", "feather", "thread", "shadow", "stone", "forest", "letter", "moth", "bridge",
    "storm", "clock", "island",
];

const AUTHORS: u64 = 1;
const BOOKS: u64 = 2;
const REVIEWS: u64 = 3;
const BOOK_TAGS: u64 = 5;

fn words(g: &mut SplitMix64, min: u64, max: u64) -> String {
    let n = min + g.below(max - min + 1);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(g.pick(WORDS));
    }
    s
}

/// Authors with ids in `ids` (1-based).
pub fn authors(seed: u64, ids: Range<u64>) -> Vec<Author> {
    ids.map(|id| {
        let mut g = SplitMix64::for_row(seed, AUTHORS, id);
        Author {
            id: id as i32,
            name: format!("{} {} {id}", g.pick(FIRST), g.pick(LAST)),
        }
    })
    .collect()
}

/// Books with ids in `ids`: book `id` belongs to author `(id - 1) / books_per_author + 1`,
/// about 70 % published, years 1950–2024.
pub fn books(seed: u64, sizes: &Sizes, ids: Range<u64>) -> Vec<Book> {
    ids.map(|id| {
        let mut g = SplitMix64::for_row(seed, BOOKS, id);
        let mut title = words(&mut g, 2, 5);
        if let Some(first) = title.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        Book {
            id: id as i32,
            author_id: ((id - 1) / u64::from(sizes.books_per_author) + 1) as i32,
            title,
            published: g.below(100) < 70,
            year: 1950 + g.below(75) as i32,
        }
    })
    .collect()
}

/// Reviews with ids in `ids`: review `id` is of book `(id - 1) / reviews_per_book + 1`.
pub fn reviews(seed: u64, sizes: &Sizes, ids: Range<u64>) -> Vec<Review> {
    ids.map(|id| {
        let mut g = SplitMix64::for_row(seed, REVIEWS, id);
        Review {
            id: id as i32,
            book_id: ((id - 1) / u64::from(sizes.reviews_per_book) + 1) as i32,
            stars: 1 + g.below(5) as i32,
            body: words(&mut g, 6, 20),
        }
    })
    .collect()
}

/// All tags.
pub fn tags(sizes: &Sizes) -> Vec<Tag> {
    (1..=u64::from(sizes.tags))
        .map(|id| Tag {
            id: id as i32,
            name: format!("{}-{id}", WORDS[(id as usize - 1) % WORDS.len()]),
        })
        .collect()
}

/// The `tags_per_book` distinct tags of each book with id in `books`; the
/// row for slot `s` of book `b` has id `(b - 1) * tags_per_book + s + 1`.
pub fn book_tags(seed: u64, sizes: &Sizes, books: Range<u64>) -> Vec<BookTag> {
    let per = u64::from(sizes.tags_per_book);
    let mut rows = Vec::with_capacity(((books.end - books.start) * per) as usize);
    let mut chosen: Vec<u64> = Vec::with_capacity(per as usize);
    for book in books {
        let mut g = SplitMix64::for_row(seed, BOOK_TAGS, book);
        chosen.clear();
        while (chosen.len() as u64) < per {
            let t = 1 + g.below(u64::from(sizes.tags));
            if !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        for (s, &t) in chosen.iter().enumerate() {
            rows.push(BookTag {
                id: ((book - 1) * per + s as u64 + 1) as i32,
                book_id: book as i32,
                tag_id: t as i32,
            });
        }
    }
    rows
}

/// Ranges of `1..=total` of at most `per` elements each.
pub fn batches(total: u64, per: u64) -> impl Iterator<Item = Range<u64>> {
    let per = per.max(1);
    (0..total.div_ceil(per)).map(move |i| {
        let start = 1 + i * per;
        start..(start + per).min(total + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_do_not_depend_on_batching() {
        let sizes = Sizes::default();
        let whole = books(7, &sizes, 1..101);
        let parts: Vec<Book> = batches(100, 33).flat_map(|r| books(7, &sizes, r)).collect();
        assert_eq!(whole.len(), 100);
        for (a, b) in whole.iter().zip(&parts) {
            assert_eq!((a.id, &a.title, a.year), (b.id, &b.title, b.year));
        }
        assert_eq!(whole[10].author_id, 2);
    }

    #[test]
    fn tags_per_book_are_distinct() {
        let sizes = Sizes {
            tags: 3,
            tags_per_book: 3,
            ..Sizes::default()
        };
        let rows = book_tags(1, &sizes, 1..50);
        assert_eq!(rows.len(), 49 * 3);
        for b in rows.chunks(3) {
            let mut t: Vec<i32> = b.iter().map(|r| r.tag_id).collect();
            t.sort();
            assert_eq!(t, vec![1, 2, 3]);
        }
    }
}
