package io.stickyring.ring;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * An exact positive rational {@code numerator / denominator}, reduced, both in {@code long}: the
 * bounded-loads balance factor c as typed ({@code 1.1} is 11/10, not the double
 * 1.100000000000000088817841970012523...). Floating-point c made {@code ceil(1.1 * 100000 * 0.1)}
 * 11001 instead of 11000 (issue 16); an exact c keeps the capacity the true ceiling.
 *
 * @param numerator >= 1
 * @param denominator >= 1, coprime with the numerator
 */
public record Ratio(long numerator, long denominator) {

    public Ratio {
        if (numerator < 1 || denominator < 1) {
            throw new IllegalArgumentException("ratio " + numerator + "/" + denominator + " must have both parts >= 1");
        }
        long g = BigInteger.valueOf(numerator).gcd(BigInteger.valueOf(denominator)).longValueExact();
        numerator /= g;
        denominator /= g;
    }

    /**
     * Parses {@code 1.1}, {@code 1.25}, {@code 3} or {@code 11/10}.
     *
     * @throws IllegalArgumentException naming the value if it is not a positive decimal or fraction
     *     whose parts fit in a long
     */
    public static Ratio parse(String text) {
        String t = text == null ? "" : text.trim();
        try {
            int slash = t.indexOf('/');
            if (slash >= 0) {
                return new Ratio(Long.parseLong(t.substring(0, slash).trim()), Long.parseLong(t.substring(slash + 1).trim()));
            }
            return of(new BigDecimal(t), text);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a positive decimal (1.25) or fraction (5/4)");
        }
    }

    /**
     * The decimal the double prints as ({@link Double#toString}, the shortest decimal that rounds to
     * it): {@code of(1.1)} is 11/10, the number the user meant.
     */
    public static Ratio of(double value) {
        if (!Double.isFinite(value) || value <= 0) {
            throw new IllegalArgumentException("'" + value + "' is not a finite positive number");
        }
        return of(BigDecimal.valueOf(value), Double.toString(value));
    }

    private static Ratio of(BigDecimal d, Object shown) {
        BigDecimal s = d.stripTrailingZeros();
        if (s.scale() < 0) {
            s = s.setScale(0);
        }
        BigInteger num = s.unscaledValue();
        BigInteger den = BigInteger.TEN.pow(s.scale());
        BigInteger g = num.gcd(den);
        num = num.divide(g);
        den = den.divide(g);
        if (num.signum() <= 0 || num.bitLength() > 62 || den.bitLength() > 62) {
            throw new IllegalArgumentException("'" + shown + "' is not a positive number with at most 18 significant digits");
        }
        return new Ratio(num.longValueExact(), den.longValueExact());
    }

    /** True if this ratio is greater than 1. */
    public boolean greaterThanOne() {
        return numerator > denominator;
    }

    public double toDouble() {
        return (double) numerator / denominator;
    }

    @Override
    public String toString() {
        return denominator == 1 ? Long.toString(numerator) : numerator + "/" + denominator;
    }
}
