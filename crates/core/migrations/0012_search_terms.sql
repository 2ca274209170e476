-- The words of the prompts, as FTS5 indexes them (#21). A search for "light" reads the few words
-- that start with it here and asks FTS5 for those words: a prefix query ("light"*) makes FTS5
-- merge every posting of every such word first, 30 ms for a common word at a million items.
-- A hint table: purges and erasures rebuild it from the index itself, so no word outlives its
-- prompts there.
CREATE TABLE search_terms (
    term TEXT PRIMARY KEY
) WITHOUT ROWID, STRICT;

-- The index's own vocabulary (no storage of its own), to fill and rebuild search_terms.
CREATE VIRTUAL TABLE generations_vocab USING fts5vocab(generations_fts, row);

-- FTS5 as the tokenizer: a new prompt goes through an empty scratch index with the same
-- tokenizer, whose vocabulary is then its words exactly as generations_fts holds them (diacritics
-- of some scripts kept, emoji as words), and the scratch index is emptied again.
CREATE VIRTUAL TABLE search_scratch USING fts5(
    prompt,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE search_scratch_vocab USING fts5vocab(search_scratch, row);

CREATE TRIGGER search_terms_insert AFTER INSERT ON generations BEGIN
    INSERT INTO search_scratch(rowid, prompt) VALUES (new.id, new.prompt);
    INSERT OR IGNORE INTO search_terms(term) SELECT term FROM search_scratch_vocab;
    INSERT INTO search_scratch(search_scratch) VALUES ('delete-all');
END;

CREATE TRIGGER search_terms_update AFTER UPDATE OF prompt ON generations BEGIN
    INSERT INTO search_scratch(rowid, prompt) VALUES (new.id, new.prompt);
    INSERT OR IGNORE INTO search_terms(term) SELECT term FROM search_scratch_vocab;
    INSERT INTO search_scratch(search_scratch) VALUES ('delete-all');
END;

INSERT INTO search_terms (term) SELECT term FROM generations_vocab;
