//! Newline-delimited JSON, the progress stream's framing: the server writes one value per line,
//! and since a stream's chunks are not messages, the reader joins chunks and splits on newlines.

use serde::{de::DeserializeOwned, Serialize};

/// One value as a line of the stream.
pub fn line<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Reassembles lines from chunks as they arrive.
#[derive(Debug, Default)]
pub struct Lines {
    buffer: String,
}

impl Lines {
    /// Adds a chunk and returns the values of the lines it completed; a line that is not a
    /// `T` is skipped, so one bad line never stops the stream.
    pub fn push<T: DeserializeOwned>(&mut self, chunk: &str) -> Vec<T> {
        self.buffer.push_str(chunk);
        let mut values = Vec::new();
        while let Some(end) = self.buffer.find('\n') {
            let line: String = self.buffer.drain(..=end).collect();
            if let Ok(value) = serde_json::from_str(line.trim()) {
                values.push(value);
            }
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks_come_out_whole() {
        let mut lines = Lines::default();
        let text = format!("{}{}", line(&1), line(&22));
        let (a, b) = text.split_at(3);
        assert_eq!(lines.push::<i64>(a), vec![1]);
        assert_eq!(lines.push::<i64>(b), vec![22]);
        assert_eq!(lines.push::<i64>("not json\n3\n"), vec![3]);
    }
}
