//! Paraphrases as a person makes them: words replaced by WordNet synonyms
//! (the lemma's most frequent sense, in the part of speech it is most
//! often tagged with) and clauses reordered ("A, B." becomes "B, A.";
//! "X and Y" becomes "Y and X").

use std::{collections::HashMap, path::Path};

use rand::{rngs::StdRng, Rng};

/// Function words keep their place: replacing "the" is no paraphrase.
const KEPT: &[&str] = &[
    "about", "after", "also", "been", "before", "being", "both", "could", "does", "each", "even",
    "from", "have", "here", "into", "just", "like", "more", "most", "must", "only", "other",
    "over", "same", "should", "some", "such", "than", "that", "their", "them", "then", "there",
    "these", "they", "this", "those", "under", "very", "were", "what", "when", "where", "which",
    "while", "will", "with", "would", "your", "debian",
];

pub struct Synonyms {
    first_sense: HashMap<String, String>,
}

impl Synonyms {
    /// Reads WordNet 3.0's `index.*` and `data.*` files from `dir`.
    pub fn load(dir: &Path) -> Self {
        // lemma -> (tagged sense count, synonym), the best part of speech kept.
        let mut best: HashMap<String, (u32, String)> = HashMap::new();
        for part in ["noun", "verb", "adj", "adv"] {
            let read = |kind: &str| {
                std::fs::read_to_string(dir.join(format!("{kind}.{part}"))).unwrap_or_else(
                    |error| panic!("--wordnet {}: {kind}.{part}: {error}", dir.display()),
                )
            };
            let data = read("data");
            let synsets: HashMap<&str, Vec<String>> = data
                .lines()
                .filter(|line| !line.starts_with("  "))
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split(' ').collect();
                    let count = usize::from_str_radix(fields.get(3)?, 16).ok()?;
                    let words = (0..count)
                        .filter_map(|i| fields.get(4 + 2 * i))
                        .map(|word| word.split('(').next().unwrap_or(word).to_lowercase())
                        .collect();
                    Some((fields[0], words))
                })
                .collect();
            for line in read("index").lines().filter(|line| !line.starts_with("  ")) {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let (Some(lemma), Some(senses), Some(pointers)) =
                    (fields.first(), fields.get(2), fields.get(3))
                else {
                    continue;
                };
                let (Ok(senses), Ok(pointers)) =
                    (senses.parse::<usize>(), pointers.parse::<usize>())
                else {
                    continue;
                };
                let tagged: u32 = fields
                    .get(5 + pointers)
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let Some(first) = fields.get(6 + pointers).filter(|_| senses > 0) else {
                    continue;
                };
                let synonym = synsets.get(first).and_then(|words| {
                    words.iter().find(|word| {
                        *word != lemma
                            && !word.contains('_')
                            && word.chars().all(|c| c.is_ascii_lowercase())
                    })
                });
                if let Some(synonym) = synonym {
                    let entry = best.entry(lemma.to_string()).or_insert((0, String::new()));
                    if entry.1.is_empty() || tagged > entry.0 {
                        *entry = (tagged, synonym.clone());
                    }
                }
            }
        }
        Self {
            first_sense: best
                .into_iter()
                .map(|(lemma, (_, synonym))| (lemma, synonym))
                .collect(),
        }
    }

    /// A synonym of a word, inflected as it is when WordNet holds only its
    /// lemma ("files" → "file" → "data" + "s"; rough, as a hurried editor).
    fn synonym(&self, word: &str) -> Option<String> {
        if let Some(synonym) = self.first_sense.get(word) {
            return Some(synonym.clone());
        }
        let inflected = |suffix: &str, stems: &[&str]| {
            let root = word.strip_suffix(suffix)?;
            stems.iter().find_map(|stem| {
                let synonym = self.first_sense.get(&format!("{root}{stem}"))?;
                Some(format!(
                    "{}{suffix}",
                    synonym
                        .strip_suffix('e')
                        .filter(|_| suffix.starts_with('e') || suffix == "ing")
                        .unwrap_or(synonym)
                ))
            })
        };
        inflected("s", &[""])
            .or_else(|| inflected("ed", &["", "e"]))
            .or_else(|| inflected("ing", &["", "e"]))
    }

    /// `text` with about `percent` % of its replaceable words replaced,
    /// and, if `reorder`, its clauses and coordinated words swapped. Also
    /// returns how many words were replaced.
    pub fn paraphrase(
        &self,
        text: &str,
        percent: u32,
        reorder: bool,
        rng: &mut StdRng,
    ) -> (String, usize) {
        let mut replaced = 0;
        let words: Vec<String> = text
            .split(' ')
            .map(|word| {
                let core_start = word
                    .find(|c: char| c.is_ascii_alphabetic())
                    .unwrap_or(word.len());
                let core_end = word
                    .rfind(|c: char| c.is_ascii_alphabetic())
                    .map_or(core_start, |at| at + 1);
                let core = &word[core_start..core_end];
                let lower = core.to_ascii_lowercase();
                let replaceable = core.len() >= 4
                    && core.chars().all(|c| c.is_ascii_alphabetic())
                    && !KEPT.contains(&lower.as_str())
                    && (core == lower || core[1..] == lower[1..]);
                match self.synonym(&lower) {
                    Some(mut synonym) if replaceable && rng.gen_range(0..100) < percent => {
                        replaced += 1;
                        if core != lower {
                            synonym[..1].make_ascii_uppercase();
                        }
                        format!("{}{}{}", &word[..core_start], synonym, &word[core_end..])
                    }
                    _ => word.to_string(),
                }
            })
            .collect();
        let mut text = words.join(" ");
        if reorder {
            text = swap_coordinated_words(&text);
            text = swap_clauses(&text);
        }
        (text, replaced)
    }
}

/// "X and Y" becomes "Y and X" for single words X and Y.
fn swap_coordinated_words(text: &str) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
    let plain = |word: &str| word.len() >= 3 && word.chars().all(|c| c.is_ascii_lowercase());
    let mut at = 1;
    while at + 1 < words.len() {
        if (words[at] == "and" || words[at] == "or")
            && plain(&words[at - 1])
            && plain(&words[at + 1])
        {
            words.swap(at - 1, at + 1);
            at += 2;
        }
        at += 1;
    }
    words.join(" ")
}

/// In each sentence "A, B." with at least three words each side, "B, a."
fn swap_clauses(text: &str) -> String {
    let mut result = String::new();
    for sentence in text.split_inclusive(". ") {
        let (body, end) = match sentence.strip_suffix(". ") {
            Some(body) => (body, ". "),
            None => match sentence.strip_suffix('.') {
                Some(body) => (body, "."),
                None => (sentence, ""),
            },
        };
        let swapped = body.split_once(", ").filter(|(a, b)| {
            a.split(' ').count() >= 3
                && b.split(' ').count() >= 3
                && !b.contains(", ")
                && !a.contains('\n')
                && !b.contains('\n')
        });
        match swapped {
            Some((first, second)) => {
                let mut second = second.to_string();
                if let Some(c) = second.get(..1) {
                    second.replace_range(..1, &c.to_uppercase());
                }
                let mut first = first.to_string();
                let acronym = first.chars().nth(1).is_some_and(|c| c.is_uppercase());
                if !acronym && !first.starts_with("I ") {
                    if let Some(c) = first.get(..1) {
                        first.replace_range(..1, &c.to_lowercase());
                    }
                }
                result.push_str(&format!("{second}, {first}{end}"));
            }
            None => result.push_str(sentence),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn clauses_and_coordinated_words_swap() {
        assert_eq!(
            super::swap_clauses("When the upload is done, the queue daemon moves the file. Next."),
            "The queue daemon moves the file, when the upload is done. Next."
        );
        assert_eq!(
            super::swap_coordinated_words("read and write files"),
            "write and read files"
        );
    }
}
