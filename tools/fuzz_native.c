/* Fuzz driver for the native scanner core (src/openresponses_msgspec/_native_core.h), built and run by
 * tools/fuzz_native.py under AddressSanitizer and UBSan. No libFuzzer needed: it mutates seed inputs itself
 * (byte flips, inserted SSE/NDJSON tokens, deletions, truncations, splices), copies each input into a heap
 * block of exactly its size (a read one byte past it hits ASan's redzone) and calls every core function on
 * it and on a random sub-range. It checks what each result must satisfy and aborts on any violation.
 *
 * usage: fuzz_native EXECUTIONS SEED_RNG FILE...   (prints "executions N" at the end)
 */
#include <stdio.h>
#include <stdlib.h>

#include "_native_core.h"

static uint64_t rng_state;

static uint64_t next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

static const char *TOKENS[] = {
    "\n", "\r", "\r\n", "\n\n", "{", "}", "}\n{", "}\n\n{", "}\r\n\r\n{", "data: {", "data: ", "event: x\n",
    ":", ": keep-alive\n\n", "data: [DONE]\n\n", "\xff", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80",
    "\xe6\x9d\xb1", "\xf0\x9f\x8e\x89", "\xc0\x80", "\x00", " ", "\t", "}\n\n", "\"", "\\",
};

static void fail(const char *what, size_t n)
{
    fprintf(stderr, "invariant violated: %s (input of %zu bytes)\n", what, n);
    abort();
}

static void check(const unsigned char *src, size_t n)
{
    unsigned char *s = malloc(n ? n : 1);
    unsigned char *body = malloc(n ? n : 1);
    if (!s || !body)
        abort();
    memcpy(s, src, n);
    /* the block is exactly n bytes long (1 when empty, never read then) */
    unsigned char *buf = s;
    int whole = or_utf8_valid(buf, n, 1), part = or_utf8_valid(buf, n, 0);
    if (whole && !part)
        fail("valid UTF-8 but not as a prefix", n);
    or_proof pr;
    if (or_prove_lines(buf, n, &pr)) {
        if (pr.last == 0 || pr.last > n || pr.newlines > pr.last || 2 * pr.blank > pr.newlines)
            fail("proof out of range", n);
        if (buf[0] != '{' || buf[pr.last - 1] != '}')
            fail("proof of a window not {...}", n);
        size_t lf = 0;
        for (size_t i = 0; i < pr.last; i++)
            lf += buf[i] == '\n';
        if (lf != pr.newlines)
            fail("proof miscounts newlines", n);
    }
    or_frames fr;
    size_t frames = or_sse_frames(buf, n, body, &fr);
    if (frames) {
        if (fr.stop > n || fr.body_len > fr.stop || fr.lines < 2 * frames || fr.lines > fr.stop)
            fail("frames out of range", n);
        size_t lf = 0;
        for (size_t i = 0; i < fr.body_len; i++)
            lf += body[i] == '\n';
        if (lf != frames - 1 || body[0] != '{' || body[fr.body_len - 1] != '}')
            fail("frames body malformed", n);
    } else if (fr.stop != 0 || fr.lines != 0 || fr.body_len != 0) {
        fail("no frames but a result", n);
    }
    free(s);
    free(body);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s EXECUTIONS SEED_RNG FILE...\n", argv[0]);
        return 2;
    }
    long long runs = atoll(argv[1]);
    rng_state = (uint64_t)atoll(argv[2]) * 2654435761u + 88172645463325252ull;
    int nseeds = argc - 3;
    unsigned char **seeds = calloc((size_t)nseeds, sizeof *seeds);
    size_t *sizes = calloc((size_t)nseeds, sizeof *sizes);
    for (int k = 0; k < nseeds; k++) {
        FILE *f = fopen(argv[3 + k], "rb");
        if (!f) {
            perror(argv[3 + k]);
            return 2;
        }
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        seeds[k] = malloc((size_t)len + 1);
        sizes[k] = fread(seeds[k], 1, (size_t)len, f);
        fclose(f);
    }
    size_t cap = 1 << 20;
    unsigned char *in = malloc(cap), *tmp = malloc(cap);
    long long done = 0;
    for (; done < runs; done++) {
        int k = (int)below((size_t)nseeds);
        size_t n = sizes[k] < cap / 2 ? sizes[k] : cap / 2;
        size_t off = below(sizes[k] - n + 1);
        memcpy(in, seeds[k] + off, n);
        int muts = 1 + (int)below(8);
        for (int m = 0; m < muts; m++) {
            size_t at = below(n + 1);
            switch (below(6)) {
            case 0: /* flip a byte */
                if (n)
                    in[below(n)] ^= (unsigned char)(1u << below(8));
                break;
            case 1: { /* insert a token */
                const char *t = TOKENS[below(sizeof TOKENS / sizeof *TOKENS)];
                size_t tl = strlen(t) + (t[0] == '\0');
                if (n + tl < cap / 2) {
                    memmove(in + at + tl, in + at, n - at);
                    memcpy(in + at, t, tl);
                    n += tl;
                }
                break;
            }
            case 2: { /* delete a range */
                size_t len = below(n - at + 1);
                if (len > 64)
                    len = below(64);
                memmove(in + at, in + at + len, n - at - len);
                n -= len;
                break;
            }
            case 3: /* truncate */
                n = at;
                break;
            case 4: { /* splice a piece of another seed */
                int j = (int)below((size_t)nseeds);
                size_t len = below(sizes[j] < 512 ? sizes[j] + 1 : 513);
                size_t from = below(sizes[j] - len + 1);
                if (n + len < cap / 2) {
                    memmove(in + at + len, in + at, n - at);
                    memcpy(in + at, seeds[j] + from, len);
                    n += len;
                }
                break;
            }
            default: { /* a run of one byte: blank lines, a long line */
                size_t len = below(below(2) ? 300 : 5000);
                unsigned char c = below(2) ? '\n' : (unsigned char)"x\n\r{} "[below(6)];
                if (n + len < cap / 2) {
                    memmove(in + at + len, in + at, n - at);
                    memset(in + at, c, len);
                    n += len;
                }
                break;
            }
            }
        }
        check(in, n);
        size_t a = below(n + 1), b = a + below(n - a + 1); /* a sub-range, as the framers pass windows */
        memcpy(tmp, in + a, b - a);
        check(tmp, b - a);
    }
    for (int k = 0; k < nseeds; k++)
        free(seeds[k]);
    free(seeds);
    free(sizes);
    free(in);
    free(tmp);
    printf("executions %lld\n", done * 2);
    return 0;
}
