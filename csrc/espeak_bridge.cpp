#include "espeak_bridge.hpp"

#include <dlfcn.h>

#include <cstring>
#include <mutex>

namespace edgetts {
namespace {

// From espeak-ng's speak_lib.h (stable ABI since espeak 1.48).
constexpr int kAudioOutputSynchronous = 2;
// Without it espeak-ng calls exit(1) when its data cannot be loaded.
constexpr int kInitializeDontExit = 0x8000;
constexpr int kCharsUtf8 = 1;
constexpr int kPhonemesIpa = 0x02;

using InitializeFn = int (*)(int, int, const char *, int);
using SetVoiceByNameFn = int (*)(const char *);
using TextToPhonemesFn = const char *(*)(const void **, int, int);

struct Espeak {
    void *handle = nullptr;
    InitializeFn initialize = nullptr;
    SetVoiceByNameFn set_voice_by_name = nullptr;
    TextToPhonemesFn text_to_phonemes = nullptr;
    std::string library_path;
    std::string data_path;
    std::string voice;
};

std::mutex g_lock;
Espeak g_espeak;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_closing(char c) { return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}'; }

bool is_terminator(char c) { return c != 0 && std::strchr(".?!,:;", c) != nullptr; }

// espeak_TextToPhonemes, unlike the ...WithTerminator call Piper patched in, does
// not say how a clause ended, so read it off the bytes the call consumed. Those
// may run past the clause (espeak reads ahead, usually one character), so take
// the last punctuation that is followed by a space, a closing mark or the end,
// the way espeak's clause splitter requires, and classify it as Piper does.
// Returns where the clause's own text ends (before espeak's read-ahead).
const char *classify(const char *begin, const char *end, bool at_text_end, Clause &clause) {
    static const char kEmDash[] = "\xE2\x80\x94";  // espeak pauses on it as on ';'
    const char *mark = nullptr;
    const char *after = begin;
    char mark_char = 0;
    for (const char *p = begin; p < end; ++p) {
        const char *next = p + 1;
        char c = *p;
        if (end - p >= 3 && std::memcmp(p, kEmDash, 3) == 0) {
            next = p + 3;
            c = ';';
        } else if (!is_terminator(c)) {
            continue;
        }
        if (next == end || is_space(*next) || is_closing(*next)) {
            mark = p;
            mark_char = c;
            after = next;
        }
    }
    const char *clause_end = end;
    if (mark == nullptr && !at_text_end) {  // no punctuation: end at the last run of spaces
        const char *p = end;
        while (p > begin && !is_space(p[-1])) --p;
        while (p > begin && is_space(p[-1])) --p;
        after = p;
        clause_end = p;
    } else if (mark != nullptr) {
        clause_end = after;
        while (clause_end < end && is_closing(*clause_end)) ++clause_end;
    }
    int newlines = 0;
    for (const char *p = after; p < end && (is_space(*p) || is_closing(*p)); ++p) newlines += *p == '\n';

    clause.terminator = 0;
    clause.end_of_sentence = at_text_end;
    if (newlines >= 2) {  // a blank line ends a paragraph and overrides punctuation
        clause.end_of_sentence = true;
        return clause_end;
    }
    if (mark == nullptr) return clause_end;
    const char *run = mark;
    while (run > begin && run[-1] != 0 && std::strchr(".?!", run[-1]) != nullptr) --run;
    bool question = false, exclamation = false;
    for (const char *p = run; p <= mark; ++p) {
        question |= *p == '?';
        exclamation |= *p == '!';
    }
    if (question) {
        clause.terminator = '?';
    } else if (exclamation) {
        clause.terminator = '!';
    } else if (mark - run >= 1 && mark_char == '.') {
        clause.end_of_sentence = false;  // an ellipsis pauses like ';' but keeps no mark
        return clause_end;
    } else {
        clause.terminator = mark_char;
    }
    char t = clause.terminator;
    clause.end_of_sentence = t == '.' || t == '?' || t == '!';
    return clause_end;
}

}  // namespace

bool espeak_load(const char *library_path, const char *data_path, std::string &error) {
    std::lock_guard<std::mutex> guard(g_lock);
    if (g_espeak.handle != nullptr) {
        if (g_espeak.library_path == library_path && g_espeak.data_path == data_path) return true;
        error = "espeak-ng is already loaded from " + g_espeak.library_path + " with data " +
                g_espeak.data_path;
        return false;
    }
    // RTLD_LOCAL keeps these symbols away from any other espeak-ng in the process.
    void *handle = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char *why = dlerror();
        error = std::string("cannot load ") + library_path + ": " + (why ? why : "unknown error");
        return false;
    }
    Espeak loaded;
    loaded.handle = handle;
    loaded.initialize = reinterpret_cast<InitializeFn>(dlsym(handle, "espeak_Initialize"));
    loaded.set_voice_by_name = reinterpret_cast<SetVoiceByNameFn>(dlsym(handle, "espeak_SetVoiceByName"));
    loaded.text_to_phonemes = reinterpret_cast<TextToPhonemesFn>(dlsym(handle, "espeak_TextToPhonemes"));
    if (!loaded.initialize || !loaded.set_voice_by_name || !loaded.text_to_phonemes) {
        dlclose(handle);
        error = std::string(library_path) + " lacks espeak_Initialize/SetVoiceByName/TextToPhonemes";
        return false;
    }
    if (loaded.initialize(kAudioOutputSynchronous, 0, data_path, kInitializeDontExit) < 0) {
        dlclose(handle);
        error = std::string("espeak_Initialize failed with data directory ") + data_path;
        return false;
    }
    loaded.library_path = library_path;
    loaded.data_path = data_path;
    g_espeak = loaded;
    return true;
}

bool espeak_clauses(const char *voice, const char *text, std::vector<Clause> &out, std::string &error) {
    std::lock_guard<std::mutex> guard(g_lock);
    if (g_espeak.handle == nullptr) {
        error = "espeak-ng is not loaded";
        return false;
    }
    if (g_espeak.voice != voice) {
        if (g_espeak.set_voice_by_name(voice) != 0) {
            error = std::string("espeak-ng has no voice named '") + voice + "'";
            return false;
        }
        g_espeak.voice = voice;
    }
    const char *text_end = text + std::strlen(text);
    const void *cursor = text;
    const char *start = text;
    while (cursor != nullptr) {
        const char *phonemes = g_espeak.text_to_phonemes(&cursor, kCharsUtf8, kPhonemesIpa);
        const char *stop = cursor ? static_cast<const char *>(cursor) : text_end;
        Clause clause;
        clause.phonemes = phonemes ? phonemes : "";
        clause.text_end = static_cast<std::size_t>(stop - text);
        clause.clause_end = static_cast<std::size_t>(classify(start, stop, cursor == nullptr, clause) - text);
        out.push_back(std::move(clause));
        if (cursor != nullptr && stop <= start) {
            error = "espeak-ng did not advance through the text";
            return false;
        }
        start = stop;
    }
    return true;
}

}  // namespace edgetts
