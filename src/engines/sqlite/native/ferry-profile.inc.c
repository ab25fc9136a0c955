/*
 * Included by ferry-sqlite.c (one extension, one build step). Two more aggregates:
 *
 * ferry_profile(value, flags[, precision, scale]): what `ferry copy` must know about a column
 *   before choosing its PostgreSQL type, in one pass at C speed: counts per storage class, the
 *   integer range, whether every integer is 0/1, text holding NUL, and when asked by flags:
 *   (1) how many texts are ISO dates, zone-less and zoned ISO date-times and times of day, with
 *   the forms they are written in; (2) how many are plain decimal literals; (4) how many are UUIDs
 *   and in which forms; (8) the longest text in characters; (16) how many values fit
 *   numeric(precision, scale) exactly. Returns "nulls ints reals texts blobs min max notZeroOne
 *   nul dates timestamps timestampsTz numeric times uuids maxLength fits separators fractions
 *   zones uuidForms". The shapes must stay the ones sqlite-profile.ts's SQL accepts and
 *   transfer/time-text.ts parses.
 *
 * ferry_checksum_modes(modes, v1, v2, ...): ferry_checksum_native with some columns normalised
 *   first: mode 'T' reads ISO text as a zone-less timestamp and 'Z' as a zoned one, hashing the
 *   microseconds since 1970 (UTC) as an integer, as normalizerFor('timestamp'|'timestamptz')
 *   does; mode 'F' hashes a real -0.0 as 0.0; any other mode hashes the value as stored. Modes
 *   'i', 'F', 't', 'b' and 'o' also count values that are not integers, reals, texts, blobs or
 *   0/1 integers respectively, for the same fallback. A value it cannot normalise is counted in
 *   the result ("<digest> <unnormalised>") so the caller can fall back to JavaScript.
 */

typedef struct {
  int64_t nulls, ints, reals, texts, blobs, notZeroOne, nul, dates, ts, tstz, numeric;
  int64_t times, uuids, maxlen, fits;
  int64_t min, max;
  int flags, sepMask, fracMask, zoneMask, uuidMask;
  int precision, scale;
} Profile;

static int digits(const unsigned char *p, int n) {
  for (int i = 0; i < n; i++)
    if (p[i] < '0' || p[i] > '9') return 0;
  return 1;
}

static int num(const unsigned char *p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (p[i] - '0');
  return v;
}

static int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

/* `YYYY-MM-DD` at p (10 bytes): a real calendar date, year 0001-9999. */
static int iso_date(const unsigned char *p, int *y, int *mo, int *d) {
  if (!digits(p, 4) || p[4] != '-' || !digits(p + 5, 2) || p[7] != '-' || !digits(p + 8, 2)) return 0;
  *y = num(p, 4);
  *mo = num(p + 5, 2);
  *d = num(p + 8, 2);
  return *y >= 1 && *mo >= 1 && *mo <= 12 && *d >= 1 && *d <= days_in_month(*y, *mo);
}

/*
 * A zone-less ISO date-time filling exactly n bytes: a date alone (midnight), or date, ' ' or 'T',
 * HH:MM, optional :SS and 1-6 fractional digits. Sets the microseconds since 1970-01-01 00:00.
 */
static int iso_datetime(const unsigned char *p, int n, int64_t *micros) {
  int y, mo, d;
  if (n != 10 && n != 16 && n != 19 && (n < 21 || n > 26)) return 0;
  if (!iso_date(p, &y, &mo, &d)) return 0;
  int h = 0, mi = 0, s = 0;
  int64_t frac = 0;
  if (n > 10) {
    if ((p[10] != ' ' && p[10] != 'T') || !digits(p + 11, 2) || p[13] != ':' || !digits(p + 14, 2)) return 0;
    h = num(p + 11, 2), mi = num(p + 14, 2);
    if (h > 23 || mi > 59) return 0;
  }
  if (n >= 19) {
    if (p[16] != ':' || !digits(p + 17, 2)) return 0;
    s = num(p + 17, 2);
    if (s > 59) return 0;
  }
  if (n >= 21) {
    if (p[19] != '.' || !digits(p + 20, n - 20)) return 0;
    frac = num(p + 20, n - 20);
    for (int k = n - 20; k < 6; k++) frac *= 10;
  }
  /* Days from the civil date (Howard Hinnant's algorithm), then seconds. */
  int yy = y - (mo <= 2);
  int era = (yy >= 0 ? yy : yy - 399) / 400;
  int yoe = yy - era * 400;
  int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = (int64_t)era * 146097 + doe - 719468;
  *micros = ((days * 86400 + h * 3600 + mi * 60 + s) * 1000000) + frac;
  return 1;
}

/*
 * The zone at the end of p[0..n): `Z`, `+hh:mm`, `+hhmm` or `+hh`, with or without one space
 * before it (Sequelize writes `... +00:00`). Returns the bytes it takes (0: no zone), sets the
 * offset in seconds and the zone's shape bit (2 Z, 4 +hh:mm, 8 +hhmm, 16 +hh; 32 a space before).
 */
static int zone_suffix(const unsigned char *p, int n, int *offset, int *shape) {
  int cut = 0, oh = 0, om = 0, sign = 1;
  if (n > 0 && (p[n - 1] == 'Z' || p[n - 1] == 'z')) cut = 1, *shape = 2;
  else if (n > 6 && (p[n - 6] == '+' || p[n - 6] == '-') && digits(p + n - 5, 2) && p[n - 3] == ':' && digits(p + n - 2, 2)) {
    cut = 6, oh = num(p + n - 5, 2), om = num(p + n - 2, 2), sign = p[n - 6] == '-' ? -1 : 1, *shape = 4;
  } else if (n > 5 && (p[n - 5] == '+' || p[n - 5] == '-') && digits(p + n - 4, 4)) {
    cut = 5, oh = num(p + n - 4, 2), om = num(p + n - 2, 2), sign = p[n - 5] == '-' ? -1 : 1, *shape = 8;
  } else if (n > 3 && (p[n - 3] == '+' || p[n - 3] == '-') && digits(p + n - 2, 2)) {
    cut = 3, oh = num(p + n - 2, 2), sign = p[n - 3] == '-' ? -1 : 1, *shape = 16;
  } else return 0;
  if (oh > 15 || om > 59) return -1;
  /* A space before the zone, only after a time of day (never after a date alone). */
  if (n - cut > 16 && p[n - cut - 1] == ' ') cut++, *shape |= 32;
  *offset = sign * (oh * 3600 + om * 60);
  return cut;
}

/* An ISO date-time with a time of day followed by a zone; micros are UTC. */
static int iso_datetime_tz(const unsigned char *p, int n, int64_t *micros) {
  int offset = 0, shape = 0;
  int cut = zone_suffix(p, n, &offset, &shape);
  if (cut <= 0 || n - cut < 16) return 0;
  if (!iso_datetime(p, n - cut, micros)) return 0;
  *micros -= (int64_t)offset * 1000000;
  return 1;
}

/* `HH:MM[:SS[.f{1,6}]]`: a time of day. */
static int iso_time(const unsigned char *p, int n) {
  if (n != 5 && n != 8 && (n < 10 || n > 15)) return 0;
  if (!digits(p, 2) || p[2] != ':' || !digits(p + 3, 2) || num(p, 2) > 23 || num(p + 3, 2) > 59) return 0;
  if (n >= 8 && (p[5] != ':' || !digits(p + 6, 2) || num(p + 6, 2) > 59)) return 0;
  if (n >= 10 && (p[8] != '.' || !digits(p + 9, n - 9))) return 0;
  return 1;
}

static int hexdigit(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/*
 * A UUID: 8-4-4-4-12 hex digits with hyphens, or 32 hex digits. Returns 0, or its form bits:
 * 1 has lower-case letters, 2 has upper-case letters, 4 hyphenated, 8 compact.
 */
static int uuid_text(const unsigned char *p, int n) {
  int form;
  if (n == 36) {
    for (int i = 0; i < 36; i++) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (p[i] != '-') return 0;
      } else if (!hexdigit(p[i])) return 0;
    }
    form = 4;
  } else if (n == 32) {
    for (int i = 0; i < 32; i++)
      if (!hexdigit(p[i])) return 0;
    form = 8;
  } else return 0;
  for (int i = 0; i < n; i++) {
    if (p[i] >= 'a' && p[i] <= 'f') form |= 1;
    if (p[i] >= 'A' && p[i] <= 'F') form |= 2;
  }
  return form;
}

/* `-12.50`, `7`, `NaN`, `Infinity`, `-Infinity`: a decimal literal as PostgreSQL prints numeric. */
static int decimal_text(const unsigned char *p, int n) {
  if ((n == 3 && !memcmp(p, "NaN", 3)) || (n == 8 && !memcmp(p, "Infinity", 8)) || (n == 9 && !memcmp(p, "-Infinity", 9))) return 1;
  int i = 0, dots = 0, ds = 0;
  if (i < n && p[i] == '-') i++;
  if (i >= n || p[i] < '0' || p[i] > '9' || p[n - 1] < '0' || p[n - 1] > '9') return 0;
  for (; i < n; i++) {
    if (p[i] == '.') dots++;
    else if (p[i] >= '0' && p[i] <= '9') ds++;
    else return 0;
  }
  return dots <= 1 && ds > 0;
}

/* 10^k as a double (k >= 0). */
static double pow10i(int k) {
  double r = 1;
  while (k-- > 0) r *= 10;
  return r;
}

/*
 * Whether a value fits numeric(precision, scale) exactly: an integer with at most precision-scale
 * digits; a real whose `%.*f` at the scale reads back as the same double (so its shortest decimal
 * has at most `scale` fractional digits) and whose integer part fits; a plain decimal text whose
 * digits fit once leading and trailing zeros are dropped.
 */
static int decimal_fits(sqlite3_value *v, int precision, int scale) {
  int whole = precision - scale;
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: {
      if (whole >= 19) return 1;
      int64_t x = sqlite3_value_int64(v);
      int64_t limit = 1;
      for (int k = 0; k < whole; k++) limit *= 10;
      return x > -limit && x < limit;
    }
    case SQLITE_FLOAT: {
      double x = sqlite3_value_double(v);
      if (x != x || x - x != 0) return 0; /* NaN or infinite */
      if ((x < 0 ? -x : x) >= pow10i(whole)) return 0;
      char buf[1400];
      if (scale > 1000) return 1;
      snprintf(buf, sizeof buf, "%.*f", scale, x);
      return strtod(buf, 0) == x;
    }
    case SQLITE_TEXT: {
      const unsigned char *p = sqlite3_value_text(v);
      int n = sqlite3_value_bytes(v);
      if (!decimal_text(p, n) || p[n - 1] < '0' || p[n - 1] > '9') return 0;
      int i = p[0] == '-' ? 1 : 0, intDigits = 0, fracDigits = 0, leading = 1, seenDot = 0, zeros = 0;
      for (; i < n; i++) {
        if (p[i] == '.') {
          seenDot = 1;
          continue;
        }
        if (!seenDot) {
          if (leading && p[i] == '0') continue;
          leading = 0;
          intDigits++;
        } else {
          fracDigits++;
          zeros = p[i] == '0' ? zeros + 1 : 0;
        }
      }
      return intDigits <= whole && fracDigits - zeros <= scale;
    }
    default:
      return 0;
  }
}

static void profile_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Profile *pr = (Profile *)sqlite3_aggregate_context(ctx, sizeof(Profile));
  if (!pr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (argc > 1) pr->flags = sqlite3_value_int(argv[1]);
  if (argc > 3) pr->precision = sqlite3_value_int(argv[2]), pr->scale = sqlite3_value_int(argv[3]);
  sqlite3_value *v = argv[0];
  int type = sqlite3_value_type(v);
  if ((pr->flags & 16) && type != SQLITE_NULL && decimal_fits(v, pr->precision, pr->scale)) pr->fits++;
  switch (type) {
    case SQLITE_NULL:
      pr->nulls++;
      break;
    case SQLITE_INTEGER: {
      int64_t x = sqlite3_value_int64(v);
      if (pr->ints == 0 || x < pr->min) pr->min = x;
      if (pr->ints == 0 || x > pr->max) pr->max = x;
      if (x != 0 && x != 1) pr->notZeroOne++;
      pr->ints++;
      break;
    }
    case SQLITE_FLOAT:
      pr->reals++;
      break;
    case SQLITE_TEXT: {
      const unsigned char *p = sqlite3_value_text(v);
      int n = sqlite3_value_bytes(v);
      int64_t m;
      pr->texts++;
      if (memchr(p, 0, n)) pr->nul++;
      if (pr->flags & 1) {
        int y, mo, d, offset, shape = 0;
        if (n == 10 && iso_date(p, &y, &mo, &d)) {
          pr->dates++;
          pr->sepMask |= 4;
        } else if (iso_datetime(p, n, &m)) {
          pr->ts++;
          pr->sepMask |= p[10] == 'T' ? 2 : 1;
          pr->fracMask |= 1 << (n > 20 ? n - 20 : 0);
          pr->zoneMask |= 1;
        } else if (iso_datetime_tz(p, n, &m)) {
          int cut = zone_suffix(p, n, &offset, &shape);
          int body = n - cut;
          pr->tstz++;
          pr->sepMask |= p[10] == 'T' ? 2 : 1;
          pr->fracMask |= 1 << (body > 20 ? body - 20 : 0);
          pr->zoneMask |= shape;
        } else if (iso_time(p, n)) {
          pr->times++;
          pr->fracMask |= 1 << (n >= 10 ? n - 9 : 0);
        }
      }
      if ((pr->flags & 2) && decimal_text(p, n)) pr->numeric++;
      if (pr->flags & 4) {
        int form = uuid_text(p, n);
        if (form) pr->uuids++, pr->uuidMask |= form;
      }
      if (pr->flags & 8) {
        int64_t chars = 0;
        for (int i = 0; i < n; i++) chars += (p[i] & 0xc0) != 0x80;
        if (chars > pr->maxlen) pr->maxlen = chars;
      }
      break;
    }
    default:
      pr->blobs++;
      break;
  }
}

static void profile_final(sqlite3_context *ctx) {
  Profile *pr = (Profile *)sqlite3_aggregate_context(ctx, 0);
  Profile zero;
  memset(&zero, 0, sizeof zero);
  if (!pr) pr = &zero;
  char out[600];
  snprintf(out, sizeof out, "%lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %d %d %d %d", (long long)pr->nulls,
           (long long)pr->ints, (long long)pr->reals, (long long)pr->texts, (long long)pr->blobs, (long long)pr->min, (long long)pr->max,
           (long long)pr->notZeroOne, (long long)pr->nul, (long long)pr->dates, (long long)pr->ts, (long long)pr->tstz, (long long)pr->numeric,
           (long long)pr->times, (long long)pr->uuids, (long long)pr->maxlen, (long long)pr->fits, pr->sepMask, pr->fracMask, pr->zoneMask, pr->uuidMask);
  sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

typedef struct {
  Acc acc;
  int64_t odd;
} ModesAcc;

static void modes_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ModesAcc *m = (ModesAcc *)sqlite3_aggregate_context(ctx, sizeof(ModesAcc));
  if (!m) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  const unsigned char *modes = sqlite3_value_text(argv[0]);
  int nmodes = sqlite3_value_bytes(argv[0]);
  uint32_t ha = SEED_A, hb = SEED_B;
  for (int i = 1; i < argc; i++) {
    sqlite3_value *v = argv[i];
    char mode = i - 1 < nmodes ? (char)modes[i - 1] : 'x';
    int type = sqlite3_value_type(v);
    /* Class checks: a value of another storage class hashes as stored but is counted, because
       its normal form (text for a number, say) is only known to the JavaScript normalisers. */
    if (type != SQLITE_NULL && ((mode == 'i' && type != SQLITE_INTEGER) || (mode == 'F' && type != SQLITE_FLOAT) || (mode == 't' && type != SQLITE_TEXT) ||
                                (mode == 'b' && type != SQLITE_BLOB) ||
                                (mode == 'o' && (type != SQLITE_INTEGER || (sqlite3_value_int64(v) != 0 && sqlite3_value_int64(v) != 1)))))
      m->odd++;
    if (mode == 'F' && type == SQLITE_FLOAT && sqlite3_value_double(v) == 0.0) {
      /* -0.0 compares as 0.0, as normalizerFor('float64') has it. */
      WORD(3);
      WORD(0);
      WORD(0);
      continue;
    }
    if ((mode == 'T' || mode == 'Z') && sqlite3_value_type(v) != SQLITE_NULL) {
      int64_t micros;
      const unsigned char *p = sqlite3_value_type(v) == SQLITE_TEXT ? sqlite3_value_text(v) : 0;
      int n = p ? sqlite3_value_bytes(v) : 0;
      int ok = p && (mode == 'T' ? iso_datetime(p, n, &micros) : iso_datetime_tz(p, n, &micros));
      if (ok) {
        uint64_t u = (uint64_t)micros;
        WORD(2);
        WORD(u & 0xffffffffu);
        WORD(u >> 32);
      } else {
        m->odd++;
        WORD(1);
      }
      continue;
    }
    ha_hb_value(v, &ha, &hb);
  }
  m->acc.rows++;
  m->acc.a += fmix(ha);
  m->acc.b += fmix(hb);
}

static void modes_final(sqlite3_context *ctx) {
  ModesAcc *m = (ModesAcc *)sqlite3_aggregate_context(ctx, 0);
  char out[96];
  snprintf(out, sizeof out, "%lld:%08x%08x %lld", (long long)(m ? m->acc.rows : 0), m ? m->acc.a : 0u, m ? m->acc.b : 0u, (long long)(m ? m->odd : 0));
  sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}
