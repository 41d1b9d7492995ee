/* The scanner core of openresponses_msgspec._native: plain C over (pointer, length), no Python API, so the
 * sanitizer harness (tools/fuzz_native.py) compiles and calls exactly this code.
 *
 * Every read is at an index checked against the length the caller gave; nothing is written outside the
 * output buffer, whose capacity is the input's length (the payloads of a region are shorter than it).
 * The pure-Python twins of these functions are in _scan.py: they return the same results on every input.
 */
#ifndef OPENRESPONSES_NATIVE_CORE_H
#define OPENRESPONSES_NATIVE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Whether s[0:n] is well-formed UTF-8 as CPython's strict codec reads it: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no sequence cut by the end unless `final` is 0 (then a valid
 * start of a sequence may end the input: the next chunk may complete it). */
static int or_utf8_valid(const unsigned char *s, size_t n, int final)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII 32 bytes at a time, then eight at a time on to the first non-ASCII byte */
        while (i + 32 <= n) {
            uint64_t a, b, c, d;
            memcpy(&a, s + i, 8);
            memcpy(&b, s + i + 8, 8);
            memcpy(&c, s + i + 16, 8);
            memcpy(&d, s + i + 24, 8);
            if ((a | b | c | d) & UINT64_C(0x8080808080808080))
                break;
            i += 32;
        }
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            w &= UINT64_C(0x8080808080808080);
            if (w) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                i += (size_t)__builtin_ctzll(w) >> 3;
#endif
                break;
            }
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            return 0; /* a continuation byte, C0, C1, F5..FF */
        }
        size_t have = n - i - 1 < need ? n - i - 1 : need; /* the bytes after the lead one, up to need */
        if (c == 0xED && have < need && !final)
            hi = 0xBF; /* as CPython: "\xed\xa0" cut by the end of a chunk is a truncated surrogate, not an error */
        if (have >= 1 && (s[i + 1] < lo || s[i + 1] > hi))
            return 0;
        for (size_t k = 2; k <= have; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        }
        if (have < need)
            return !final; /* a valid start cut by the end */
        i += need + 1;
    }
    return 1;
}

/* The NDJSON window proof (what Kernel.prove checks by counting patterns): s[0:n] starts with "{", ends with
 * "}" before its trailing JSON whitespace (at `last`), and every LF before `last` stands in "}\n{", "}\r\n{"
 * (a line boundary) or in "}\n\n{", "}\r\n\r\n{" (an empty line between two lines: `blank` counts them).
 * Then every non-empty line is "{...}" and no JSON value can span two lines. Returns 1 and fills the
 * results when it holds, else 0. */
typedef struct {
    size_t last;
    size_t newlines;
    size_t blank;
} or_proof;

static int or_is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int or_prove_lines(const unsigned char *s, size_t n, or_proof *out)
{
    if (n == 0 || s[0] != '{')
        return 0;
    size_t last = n;
    while (last > 0 && or_is_ws(s[last - 1]))
        last--;
    if (last == 0 || s[last - 1] != '}') /* (last >= 1: s[0] is "{"; checked all the same) */
        return 0;
    size_t newlines = 0, blank = 0;
    size_t i = 0;
    for (;;) {
        const unsigned char *hit = memchr(s + i, '\n', last - i);
        if (hit == NULL)
            break;
        i = (size_t)(hit - s);
        /* 0 < i < last - 1: s[0] is "{" and s[last - 1] is "}", neither an LF */
        if (s[i - 1] == '}') {
            if (s[i + 1] == '{') { /* }\n{ */
                newlines += 1;
                i += 1;
                continue;
            }
            if (s[i + 1] == '\n' && i + 2 < last && s[i + 2] == '{') { /* }\n\n{ */
                newlines += 2;
                blank += 1;
                i += 2;
                continue;
            }
            return 0;
        }
        if (s[i - 1] == '\r' && i >= 2 && s[i - 2] == '}') {
            if (s[i + 1] == '{') { /* }\r\n{ */
                newlines += 1;
                i += 1;
                continue;
            }
            if (i + 3 < last && s[i + 1] == '\r' && s[i + 2] == '\n' && s[i + 3] == '{') { /* }\r\n\r\n{ */
                newlines += 2;
                blank += 1;
                i += 3;
                continue;
            }
        }
        return 0;
    }
    out->last = last;
    out->newlines = newlines;
    out->blank = blank;
    return 1;
}

/* A regular run of SSE frames at the start of s[0:n], the longest one: each frame is any number of comment
 * lines (":...") and empty lines, at most one "event:..." line, one "data: {...}" line whose value ends with
 * "}", and the empty line that dispatches it; line ends are LF only (no CR in these lines). The payloads are
 * written to `body` (capacity n), joined by LF. Returns the number of frames (0: none) and fills `stop` (the
 * end of the last frame), `lines` (LFs before it) and `body_len`. */
typedef struct {
    size_t stop;
    size_t lines;
    size_t body_len;
} or_frames;

static int or_line(const unsigned char *s, size_t n, size_t q, size_t cr, size_t *eol)
{
    /* the LF ending the line at q, if the line has one and holds no CR; `cr` is the first CR of s[0:n] (n if
     * none), never before q: every byte before q was an LF or in a line checked already */
    const unsigned char *hit = memchr(s + q, '\n', n - q);
    if (hit == NULL)
        return 0;
    size_t e = (size_t)(hit - s);
    if (cr < e)
        return 0;
    *eol = e;
    return 1;
}

static size_t or_sse_frames(const unsigned char *s, size_t n, unsigned char *body, or_frames *out)
{
    size_t p = 0, frames = 0, lines = 0, blen = 0, e = 0;
    const unsigned char *crp = n ? memchr(s, '\r', n) : NULL; /* one pass, instead of one per line */
    size_t cr = crp ? (size_t)(crp - s) : n;
    while (p < n) {
        size_t q = p, l = 0;
        while (q < n) { /* comment and empty lines */
            if (s[q] == '\n') {
                q++;
                l++;
            } else if (s[q] == ':') {
                if (!or_line(s, n, q, cr, &e))
                    goto done;
                q = e + 1;
                l++;
            } else {
                break;
            }
        }
        if (n - q >= 6 && memcmp(s + q, "event:", 6) == 0) {
            if (!or_line(s, n, q, cr, &e))
                goto done;
            q = e + 1;
            l++;
        }
        if (n - q < 7 || memcmp(s + q, "data: {", 7) != 0)
            goto done;
        size_t v = q + 6; /* the payload */
        if (!or_line(s, n, v, cr, &e))
            goto done;
        if (e - v < 2 || s[e - 1] != '}')
            goto done;
        if (e + 1 >= n || s[e + 1] != '\n')
            goto done;
        if (frames)
            body[blen++] = '\n';
        memcpy(body + blen, s + v, e - v);
        blen += e - v;
        frames++;
        lines += l + 2;
        p = e + 2;
    }
done:
    out->stop = p;
    out->lines = lines;
    out->body_len = blen;
    return frames;
}

#endif
