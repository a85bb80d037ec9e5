/* test_agreement.c: Krippendorff's alpha (interval) against published and
 * hand-computed figures; MAE and Spearman between two series. */
#include "test.h"
#include "../../core/agreement.h"

#include <math.h>

#define NA NAN

/* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the
 * example with missing values (section C): 4 observers x 12 units, values
 * 1-5. The paper gives alpha_interval = 0.849 (nominal 0.743, ordinal
 * 0.815); unit 12 has one value and is not pairable, so 11 units and 40
 * values remain. */
TEST(agreement_alpha_krippendorff_2011_example)
{
    const double obs[4][12] = {
        {1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA},   /* A */
        {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3},     /* B */
        {NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA},    /* C */
        {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA},     /* D */
    };
    double v[12 * 4];
    for (int u = 0; u < 12; u++)
        for (int c = 0; c < 4; c++) v[u * 4 + c] = obs[c][u];
    agreement_alpha a;
    agreement_alpha_interval(v, 12, 4, &a);
    CHECK(a.units == 11);
    CHECK(a.values == 40);
    CHECK_NEAR(a.alpha, 0.849, 0.0005);
}

/* By hand, two coders, three units: (1,2) (3,3) (5,4).
 * n = 6 values {1,2,3,3,5,4}; within-unit ordered pairs: unit 1: 2 x 1 = 2,
 * unit 2: 0, unit 3: 2 x 1 = 2; each / (m-1) = /1 -> D_o = 4/6.
 * All ordered pairs: sum_{i!=j} (vi-vj)^2 = 2 (n S2 - S1^2)
 *   S1 = 18, S2 = 1+4+9+9+25+16 = 64 -> 2 (384 - 324) = 120;
 *   D_e = 120 / (6 * 5) = 4. alpha = 1 - (4/6) / 4 = 1 - 1/6 = 0.8333. */
TEST(agreement_alpha_by_hand)
{
    const double v[] = {1, 2, 3, 3, 5, 4};
    agreement_alpha a;
    agreement_alpha_interval(v, 3, 2, &a);
    CHECK(a.units == 3 && a.values == 6);
    CHECK_NEAR(a.alpha, 1.0 - 1.0 / 6, 1e-12);
}

TEST(agreement_alpha_undefined_and_perfect)
{
    agreement_alpha a;
    const double same[] = {4, 4, 4, 4};          /* no spread at all: D_e = 0 */
    agreement_alpha_interval(same, 2, 2, &a);
    CHECK(isnan(a.alpha) && a.units == 2);
    const double lone[] = {4, NA, NA, 7};        /* no unit has two values */
    agreement_alpha_interval(lone, 2, 2, &a);
    CHECK(isnan(a.alpha) && a.units == 0 && a.values == 0);
    const double perfect[] = {1, 1, 6, 6, 9, 9};
    agreement_alpha_interval(perfect, 3, 2, &a);
    CHECK_NEAR(a.alpha, 1.0, 1e-12);
    /* systematic disagreement goes below zero */
    const double opposite[] = {0, 10, 10, 0};
    agreement_alpha_interval(opposite, 2, 2, &a);
    CHECK(a.alpha < 0);
}

/* a = 1 2 3 4 5 (6: b missing), b = 2 1 4 3 5.
 * MAE = (1+1+1+1+0)/5 = 0.8; ranks of b: 2 1 4 3 5; d = -1 1 -1 1 0,
 * sum d^2 = 4; rho = 1 - 6*4 / (5*24) = 0.8. */
TEST(agreement_pair_mae_spearman)
{
    const double a[] = {1, 2, 3, 4, 5, 6};
    const double b[] = {2, 1, 4, 3, 5, NA};
    agreement_pair p;
    agreement_pair_compute(a, b, 6, &p);
    CHECK(p.n == 5);
    CHECK_NEAR(p.mae, 0.8, 1e-12);
    CHECK_NEAR(p.spearman, 0.8, 1e-12);
}

/* Ties take their average rank: a = 1 1 2, b = 3 5 5.
 * ranks a: 1.5 1.5 3, ranks b: 1 2.5 2.5; Pearson of those:
 * mean 2, 2; dx = -.5 -.5 1, dy = -1 .5 .5; sxy = .5 -.25 .5 = .75,
 * sxx = 1.5, syy = 1.5 -> 0.5. */
TEST(agreement_pair_ties_and_degenerate)
{
    agreement_pair p;
    const double a[] = {1, 1, 2}, b[] = {3, 5, 5};
    agreement_pair_compute(a, b, 3, &p);
    CHECK_NEAR(p.spearman, 0.5, 1e-12);
    CHECK_NEAR(p.mae, (2 + 4 + 3) / 3.0, 1e-12);
    const double c[] = {7, 7, 7};
    agreement_pair_compute(a, c, 3, &p);
    CHECK(isnan(p.spearman) && p.n == 3);
    const double d[] = {NA, NA, 1};
    agreement_pair_compute(a, d, 3, &p);
    CHECK(p.n == 1 && isnan(p.spearman) && p.mae == 1);
    agreement_pair_compute(a, d, 0, &p);
    CHECK(p.n == 0 && isnan(p.mae));
}
