/// Document content made of the sample sentences and words, fully determined by the random generator.
struct SeedText {
    let corpus: TextCorpus

    /// `count` paragraphs of 2–5 sentences each.
    func paragraphs(_ count: Int, using random: inout SeedRandom) -> [String] {
        (0..<count).map { _ in
            (0..<random.int(2...5)).map { _ in corpus.sentences[random.int(0...corpus.sentences.count - 1)] }
                .joined(separator: " ")
        }
    }

    /// Sections of prose and word tables until the text has at least `bytes` UTF-8 bytes.
    ///
    /// The tables are random words and numbers, so pglz cannot squeeze the text under TOAST's 2 KB threshold:
    /// the content is stored out of line, which is what large documents are for.
    func largeSections(bytes: Int, title: String, using random: inout SeedRandom) -> [String] {
        var sections: [String] = []
        var size = 0
        var number = 1
        while size < bytes {
            var lines = ["## \(title), part \(number)", ""]
            lines += paragraphs(2, using: &random)
            lines.append("")
            for row in 0..<24 {
                let words = (0..<6).map { _ in corpus.words[random.int(0...corpus.words.count - 1)] }
                let figures = (0..<3).map { _ in String(random.int(0...999_999)) }
                lines.append("| \(number).\(row + 1) | " + (words + figures).joined(separator: " | ") + " |")
            }
            let section = lines.joined(separator: "\n")
            size += section.utf8.count + 2
            sections.append(section)
            number += 1
        }
        return sections
    }
}
