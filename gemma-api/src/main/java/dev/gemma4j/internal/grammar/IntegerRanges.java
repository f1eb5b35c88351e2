package dev.gemma4j.internal.grammar;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Integers and decimals between bounds as grammar expressions: the digit-by-digit construction of a
 * range regex ({@code [lo, hi]} split by length, then by leading digit), written in canonical JSON form
 * (no leading zeros, no {@code +}).
 */
final class IntegerRanges {
  private IntegerRanges() {}

  /** The integers in {@code [lo, hi]}. */
  static Expr range(BigInteger lo, BigInteger hi) {
    List<Expr> choices = new ArrayList<>();
    if (lo.signum() < 0) {
      BigInteger negativeHi = hi.min(BigInteger.ONE.negate());
      choices.add(Expr.seq(Expr.literal("-"), unsigned(negativeHi.negate(), lo.negate())));
    }
    if (hi.signum() >= 0) {
      choices.add(unsigned(lo.max(BigInteger.ZERO), hi));
    }
    return Expr.alt(choices);
  }

  /**
   * The decimals in {@code [lo, hi]} (whole bounds): an integer part in range followed by any fraction,
   * or a bound itself with a zero fraction.
   */
  static Expr decimalRange(BigInteger lo, BigInteger hi) {
    Expr fraction = Expr.seq(Expr.literal("."), Expr.repeat(Expr.chars(CharSet.DIGITS), 1, JsonGrammar.MAX_FRACTION_DIGITS));
    Expr zeroFraction = Expr.optional(Expr.seq(Expr.literal("."), Expr.repeat(Expr.literal("0"), 1, JsonGrammar.MAX_FRACTION_DIGITS)));
    List<Expr> choices = new ArrayList<>();
    if (hi.signum() >= 0) {
      // 0 <= x <= hi: integer part in [max(lo, 0), hi - 1] with any fraction, or exactly hi
      BigInteger from = lo.max(BigInteger.ZERO);
      if (from.compareTo(hi) < 0) {
        choices.add(Expr.seq(unsigned(from, hi.subtract(BigInteger.ONE)), Expr.optional(fraction)));
      }
      choices.add(Expr.seq(unsigned(hi, hi), zeroFraction));
    }
    if (lo.signum() < 0) {
      // x < 0: x = -(m + f), integer part m in [max(-hi, 0), -lo - 1] with any fraction, or m = -lo exactly
      BigInteger magnitudeFrom = hi.signum() >= 0 ? BigInteger.ZERO : hi.negate();
      BigInteger magnitudeTo = lo.negate();
      List<Expr> negative = new ArrayList<>();
      if (magnitudeFrom.compareTo(magnitudeTo) < 0) {
        // -(m + f) <= hi for every m >= -hi, so any fraction is fine
        negative.add(Expr.seq(unsigned(magnitudeFrom, magnitudeTo.subtract(BigInteger.ONE)), Expr.optional(fraction)));
      }
      negative.add(Expr.seq(unsigned(magnitudeTo, magnitudeTo), zeroFraction));
      choices.add(Expr.seq(Expr.literal("-"), Expr.alt(negative)));
    }
    return Expr.alt(choices);
  }

  /** Non-negative integers in {@code [lo, hi]}. */
  static Expr unsigned(BigInteger lo, BigInteger hi) {
    List<Expr> choices = new ArrayList<>();
    String low = lo.toString();
    String high = hi.toString();
    for (int length = low.length(); length <= high.length(); length++) {
      String from = length == low.length() ? low : "1" + "0".repeat(length - 1);
      String to = length == high.length() ? high : "9".repeat(length);
      choices.add(sameLength(from, to));
    }
    return Expr.alt(choices);
  }

  /** Digit strings of one length from {@code from} to {@code to}. */
  private static Expr sameLength(String from, String to) {
    if (from.isEmpty()) {
      return Expr.EMPTY;
    }
    char a = from.charAt(0);
    char b = to.charAt(0);
    String restFrom = from.substring(1);
    String restTo = to.substring(1);
    if (a == b) {
      return Expr.seq(Expr.chars(CharSet.of(a)), sameLength(restFrom, restTo));
    }
    String zeros = "0".repeat(restFrom.length());
    String nines = "9".repeat(restFrom.length());
    if (restFrom.equals(zeros) && restTo.equals(nines)) {
      return Expr.seq(Expr.chars(CharSet.ranges(a, b)), anyDigits(restFrom.length()));
    }
    List<Expr> choices = new ArrayList<>();
    choices.add(Expr.seq(Expr.chars(CharSet.of(a)), sameLength(restFrom, nines)));
    if (b - a > 1) {
      choices.add(Expr.seq(Expr.chars(CharSet.ranges(a + 1, b - 1)), anyDigits(restFrom.length())));
    }
    choices.add(Expr.seq(Expr.chars(CharSet.of(b)), sameLength(zeros, restTo)));
    return Expr.alt(choices);
  }

  private static Expr anyDigits(int count) {
    return Expr.repeat(Expr.chars(CharSet.DIGITS), count, count);
  }
}
