// Thin, thread-safe bridge to a libespeak-ng loaded at run time with dlopen.
// No espeak-ng headers are needed at build time: the few entry points used are
// declared here, so the wheel builds on a machine with only a C++ compiler.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace edgetts {

struct Clause {
    std::string phonemes;   // IPA from espeak_TextToPhonemes
    char terminator;        // one of . ? ! , : ; or 0 when the clause had none
    bool end_of_sentence;
    std::size_t clause_end; // byte offset just past the clause's own text and mark
    std::size_t text_end;   // byte offset where espeak stopped reading (may be later)
};

// Loads the library and initialises espeak-ng with its data directory.
// Idempotent for the same paths; returns false and fills `error` on failure.
bool espeak_load(const char *library_path, const char *data_path, std::string &error);

// Phonemizes UTF-8 `text` clause by clause with `voice`. Holds a process-wide
// lock for the whole call because espeak-ng keeps global state.
bool espeak_clauses(const char *voice, const char *text, std::vector<Clause> &out,
                    std::string &error);

}  // namespace edgetts
