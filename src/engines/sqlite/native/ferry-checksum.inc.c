/*
 * Included by ferry-sqlite.c. ferry_checksum_native(v1, v2, ...): the content checksum of
 * src/values/checksum.ts as an SQLite aggregate in C. Verification reads every row of both sides; calling into JavaScript
 * once per row costs more than copying the table does, so this computes the same digest natively.
 * It must stay bit-for-bit equal to ChecksumAccumulator (a test compares the two):
 *   - each row is hashed into two 32-bit lanes (murmur3-style mixing) over a canonical encoding:
 *     NULL -> tag 1; INTEGER -> tag 2, low word, high word; REAL -> tag 3, low and high words of
 *     its IEEE bits; TEXT -> tag 4, UTF-16 code units two per word, then the unit count;
 *     BLOB -> tag 5, upper-case hex digits two per word (one word per byte), then the digit count;
 *   - row hashes are finalised (fmix32) and summed modulo 2^32 per lane;
 *   - the result is "<rows>:<lane a as 8 hex digits><lane b as 8 hex digits>".
 */
#define SEED_A 0x9747b28cu
#define SEED_B 0x5bd1e995u
#define LANE_B 0x2f6b3a19u

typedef struct {
  int64_t rows;
  uint32_t a;
  uint32_t b;
} Acc;

static inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static inline uint32_t mix(uint32_t h, uint32_t k) {
  k *= 0xcc9e2d51u;
  k = rotl(k, 15);
  k *= 0x1b873593u;
  h ^= k;
  h = rotl(h, 13);
  return h * 5u + 0xe6546b64u;
}

static inline uint32_t fmix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

#define WORD(k)                     \
  do {                              \
    uint32_t k_ = (uint32_t)(k);    \
    ha = mix(ha, k_);               \
    hb = mix(hb, k_ ^ LANE_B);      \
  } while (0)

/*
 * Hashes UTF-8 text as its UTF-16 code units (tag 4, units two per word, then the unit count),
 * decoding on the fly. Returns 0, having hashed nothing, when the bytes are not strictly valid
 * UTF-8: the caller then lets SQLite convert them, replacement characters and all.
 */
static int hash_utf8_text(const unsigned char *p, int n, uint32_t *pa, uint32_t *pb) {
  uint32_t ha = *pa, hb = *pb;
  uint32_t pending = 0;
  int have = 0; /* a code unit waiting for its pair */
  int units = 0;
  WORD(4);
  for (int i = 0; i < n;) {
    uint32_t c = p[i], cp;
    if (c < 0x80) {
      cp = c;
      i++;
    } else {
      int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
      if (len == 0 || c > 0xf4 || i + len > n) return 0;
      for (int k = 1; k < len; k++)
        if ((p[i + k] & 0xc0) != 0x80) return 0;
      if (len == 2) cp = ((c & 0x1f) << 6) | (p[i + 1] & 0x3f);
      else if (len == 3) cp = ((c & 0x0f) << 12) | ((uint32_t)(p[i + 1] & 0x3f) << 6) | (p[i + 2] & 0x3f);
      else cp = ((c & 0x07) << 18) | ((uint32_t)(p[i + 1] & 0x3f) << 12) | ((uint32_t)(p[i + 2] & 0x3f) << 6) | (p[i + 3] & 0x3f);
      if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
      i += len;
    }
    uint32_t u[2];
    int nu = 1;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      u[0] = 0xd800 + (cp >> 10);
      u[1] = 0xdc00 + (cp & 0x3ff);
      nu = 2;
    } else {
      u[0] = cp;
    }
    for (int k = 0; k < nu; k++) {
      units++;
      if (have) {
        WORD(pending | (u[k] << 16));
        have = 0;
      } else {
        pending = u[k];
        have = 1;
      }
    }
  }
  if (have) WORD(pending);
  WORD(units);
  *pa = ha;
  *pb = hb;
  return 1;
}

/* Hashes one value as stored into the row's two lanes (see the header for the encoding). */
static inline void ha_hb_value(sqlite3_value *v, uint32_t *pa, uint32_t *pb) {
  uint32_t ha = *pa, hb = *pb;
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      WORD(1);
      break;
    case SQLITE_INTEGER: {
      uint64_t u = (uint64_t)sqlite3_value_int64(v);
      WORD(2);
      WORD(u & 0xffffffffu);
      WORD(u >> 32);
      break;
    }
    case SQLITE_FLOAT: {
      double d = sqlite3_value_double(v);
      uint64_t u;
      memcpy(&u, &d, sizeof u);
      WORD(3);
      WORD(u & 0xffffffffu);
      WORD(u >> 32);
      break;
    }
    case SQLITE_TEXT: {
      /* Straight from SQLite's UTF-8 when it is valid (no UTF-16 copy per value); otherwise as
         SQLite itself converts it, which is what the JavaScript side sees. */
      if (hash_utf8_text(sqlite3_value_text(v), sqlite3_value_bytes(v), &ha, &hb)) break;
      const unsigned char *p = (const unsigned char *)sqlite3_value_text16le(v);
      int n = sqlite3_value_bytes16(v) / 2;
      WORD(4);
      int j = 0;
      for (; j + 1 < n; j += 2) {
        uint32_t lo = (uint32_t)p[2 * j] | ((uint32_t)p[2 * j + 1] << 8);
        uint32_t hi = (uint32_t)p[2 * j + 2] | ((uint32_t)p[2 * j + 3] << 8);
        WORD(lo | (hi << 16));
      }
      if (j < n) WORD((uint32_t)p[2 * j] | ((uint32_t)p[2 * j + 1] << 8));
      WORD(n);
      break;
    }
    default: { /* SQLITE_BLOB */
      static const char HEX[] = "0123456789ABCDEF";
      const unsigned char *p = (const unsigned char *)sqlite3_value_blob(v);
      int n = sqlite3_value_bytes(v);
      WORD(5);
      for (int j = 0; j < n; j++) WORD((uint32_t)HEX[p[j] >> 4] | ((uint32_t)HEX[p[j] & 15] << 16));
      WORD(2 * n);
      break;
    }
  }
  *pa = ha;
  *pb = hb;
}

static void step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Acc *acc = (Acc *)sqlite3_aggregate_context(ctx, sizeof(Acc));
  if (!acc) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  uint32_t ha = SEED_A, hb = SEED_B;
  for (int i = 0; i < argc; i++) ha_hb_value(argv[i], &ha, &hb);
  acc->rows++;
  acc->a += fmix(ha);
  acc->b += fmix(hb);
}

static void final(sqlite3_context *ctx) {
  Acc *acc = (Acc *)sqlite3_aggregate_context(ctx, 0);
  char out[64];
  snprintf(out, sizeof out, "%lld:%08x%08x", (long long)(acc ? acc->rows : 0), acc ? acc->a : 0u, acc ? acc->b : 0u);
  sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

