/*
 * Included by ferry-sqlite.c. ferry_copy_rows(kinds, v1, ..., vn): an aggregate that encodes the
 * rows it sees as PostgreSQL COPY BINARY tuples (no header, no trailer) and returns them as one
 * blob. `ferry copy` reads a SQLite table a few thousand rows at a time through it, so the values
 * never become JavaScript objects: reading and encoding cost a few hundred nanoseconds per row
 * instead of microseconds. One kind letter per column:
 *   i int8 from INTEGER        I int4 from INTEGER      S int2 from INTEGER      U uuid from UUID text
 *   f float8 from REAL         o boolean from INTEGER 0/1
 *   t text from TEXT           j json from TEXT         J jsonb from TEXT (version byte 1)
 *   b bytea from BLOB          T timestamp from ISO text without zone   Z timestamptz from zoned ISO text
 * NULL is NULL for every kind. Any other storage class, a NUL or invalid UTF-8 in text, or an
 * unparseable timestamp makes the result NULL: the caller then encodes those rows in JavaScript,
 * which knows how to convert or reject each value. The output must stay byte-for-byte what
 * BinaryCopyEncoder writes for the same canonical values (a test compares them).
 */

typedef struct {
  unsigned char *buf;
  sqlite3_int64 len, cap;
  int failed;
} CopyAcc;

/* Days between 1970-01-01 and PostgreSQL's epoch 2000-01-01, in microseconds. */
#define PG_EPOCH_MICROS 946684800000000LL

static int copy_grow(CopyAcc *c, sqlite3_int64 need) {
  if (c->len + need <= c->cap) return 1;
  sqlite3_int64 cap = c->cap ? c->cap * 2 : 65536;
  while (cap < c->len + need) cap *= 2;
  unsigned char *b = (unsigned char *)sqlite3_realloc64(c->buf, (sqlite3_uint64)cap);
  if (!b) return 0;
  c->buf = b;
  c->cap = cap;
  return 1;
}

static inline void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static inline void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}

/* Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF) and no NUL byte. */
static int clean_utf8(const unsigned char *p, int n) {
  int i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c == 0) return 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || i + len > n) return 0;
    for (int k = 1; k < len; k++)
      if ((p[i + k] & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && p[i + 1] < 0xa0) return 0;
    if (c == 0xed && p[i + 1] >= 0xa0) return 0;
    if (c == 0xf0 && p[i + 1] < 0x90) return 0;
    if (c == 0xf4 && p[i + 1] >= 0x90) return 0;
    i += len;
  }
  return 1;
}

static void copy_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  CopyAcc *c = (CopyAcc *)sqlite3_aggregate_context(ctx, sizeof(CopyAcc));
  if (!c) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (c->failed) return;
  const unsigned char *kinds = sqlite3_value_text(argv[0]);
  int nk = sqlite3_value_bytes(argv[0]);
  int fields = argc - 1;
  if (nk != fields) {
    c->failed = 1;
    return;
  }
  sqlite3_int64 start = c->len;
  if (!copy_grow(c, 2)) goto nomem;
  c->buf[c->len++] = (unsigned char)(fields >> 8);
  c->buf[c->len++] = (unsigned char)fields;
  for (int i = 0; i < fields; i++) {
    sqlite3_value *v = argv[i + 1];
    int type = sqlite3_value_type(v);
    if (type == SQLITE_NULL) {
      if (!copy_grow(c, 4)) goto nomem;
      put32(c->buf + c->len, 0xffffffffu);
      c->len += 4;
      continue;
    }
    switch (kinds[i]) {
      case 'i':
      case 'o': {
        if (type != SQLITE_INTEGER) goto fail;
        sqlite3_int64 x = sqlite3_value_int64(v);
        if (kinds[i] == 'o') {
          if (x != 0 && x != 1) goto fail;
          if (!copy_grow(c, 5)) goto nomem;
          put32(c->buf + c->len, 1);
          c->buf[c->len + 4] = (unsigned char)x;
          c->len += 5;
        } else {
          if (!copy_grow(c, 12)) goto nomem;
          put32(c->buf + c->len, 8);
          put64(c->buf + c->len + 4, (uint64_t)x);
          c->len += 12;
        }
        break;
      }
      case 'I':
      case 'S': {
        /* int4 / int2 targets: a value out of their range goes through JavaScript, which rejects it. */
        if (type != SQLITE_INTEGER) goto fail;
        sqlite3_int64 x = sqlite3_value_int64(v);
        if (kinds[i] == 'I') {
          if (x < -2147483648LL || x > 2147483647LL) goto fail;
          if (!copy_grow(c, 8)) goto nomem;
          put32(c->buf + c->len, 4);
          put32(c->buf + c->len + 4, (uint32_t)(int32_t)x);
          c->len += 8;
        } else {
          if (x < -32768 || x > 32767) goto fail;
          if (!copy_grow(c, 6)) goto nomem;
          put32(c->buf + c->len, 2);
          c->buf[c->len + 4] = (unsigned char)((uint16_t)(int16_t)x >> 8);
          c->buf[c->len + 5] = (unsigned char)(uint16_t)(int16_t)x;
          c->len += 6;
        }
        break;
      }
      case 'U': {
        /* uuid from its 36-character or 32-digit text: 16 bytes. */
        if (type != SQLITE_TEXT) goto fail;
        const unsigned char *p = sqlite3_value_text(v);
        int n = sqlite3_value_bytes(v);
        if (!uuid_text(p, n)) goto fail;
        if (!copy_grow(c, 20)) goto nomem;
        put32(c->buf + c->len, 16);
        unsigned char *out = c->buf + c->len + 4;
        int k = 0;
        for (int j = 0; j < n; j++) {
          if (p[j] == '-') continue;
          unsigned char h = p[j] <= '9' ? p[j] - '0' : (p[j] | 0x20) - 'a' + 10;
          if (k % 2 == 0) out[k / 2] = (unsigned char)(h << 4);
          else out[k / 2] |= h;
          k++;
        }
        c->len += 20;
        break;
      }
      case 'f': {
        if (type != SQLITE_FLOAT) goto fail;
        double d = sqlite3_value_double(v);
        uint64_t u;
        memcpy(&u, &d, sizeof u);
        if (!copy_grow(c, 12)) goto nomem;
        put32(c->buf + c->len, 8);
        put64(c->buf + c->len + 4, u);
        c->len += 12;
        break;
      }
      case 't':
      case 'j':
      case 'J': {
        if (type != SQLITE_TEXT) goto fail;
        const unsigned char *p = sqlite3_value_text(v);
        int n = sqlite3_value_bytes(v);
        if (!clean_utf8(p, n)) goto fail;
        int extra = kinds[i] == 'J' ? 1 : 0;
        if (!copy_grow(c, 4 + extra + n)) goto nomem;
        put32(c->buf + c->len, (uint32_t)(n + extra));
        if (extra) c->buf[c->len + 4] = 1;
        memcpy(c->buf + c->len + 4 + extra, p, (size_t)n);
        c->len += 4 + extra + n;
        break;
      }
      case 'b': {
        if (type != SQLITE_BLOB) goto fail;
        const unsigned char *p = (const unsigned char *)sqlite3_value_blob(v);
        int n = sqlite3_value_bytes(v);
        if (!copy_grow(c, 4 + n)) goto nomem;
        put32(c->buf + c->len, (uint32_t)n);
        if (n) memcpy(c->buf + c->len + 4, p, (size_t)n);
        c->len += 4 + n;
        break;
      }
      case 'T':
      case 'Z': {
        if (type != SQLITE_TEXT) goto fail;
        const unsigned char *p = sqlite3_value_text(v);
        int n = sqlite3_value_bytes(v);
        int64_t micros;
        if (!(kinds[i] == 'T' ? iso_datetime(p, n, &micros) : iso_datetime_tz(p, n, &micros))) goto fail;
        if (!copy_grow(c, 12)) goto nomem;
        put32(c->buf + c->len, 8);
        put64(c->buf + c->len + 4, (uint64_t)(micros - PG_EPOCH_MICROS));
        c->len += 12;
        break;
      }
      default:
        goto fail;
    }
  }
  return;
fail:
  /* The whole result becomes NULL; nothing of this row is kept. */
  c->len = start;
  c->failed = 1;
  return;
nomem:
  c->len = start;
  sqlite3_result_error_nomem(ctx);
}

static void copy_final(sqlite3_context *ctx) {
  CopyAcc *c = (CopyAcc *)sqlite3_aggregate_context(ctx, 0);
  if (!c) {
    sqlite3_result_zeroblob(ctx, 0);
    return;
  }
  if (c->failed) sqlite3_result_null(ctx);
  else if (c->len == 0) sqlite3_result_zeroblob(ctx, 0);
  else {
    sqlite3_result_blob64(ctx, c->buf, (sqlite3_uint64)c->len, sqlite3_free);
    c->buf = 0;
  }
  if (c->buf) sqlite3_free(c->buf);
}
