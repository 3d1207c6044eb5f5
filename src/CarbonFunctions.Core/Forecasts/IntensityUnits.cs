using System.Globalization;

namespace CarbonFunctions.Core.Forecasts;

/// <summary>Converts the units providers publish into gCO2e/kWh.</summary>
public static class IntensityUnits
{
    /// <summary>Grams in one avoirdupois pound (exact by definition).</summary>
    public const double GramsPerPound = 453.59237;

    /// <summary>
    /// Factor that turns a value in <paramref name="units"/> into gCO2e/kWh. lbs/MWh: × 453.59237 g/lb
    /// ÷ 1000 kWh/MWh. kg/MWh and g/kWh are the same quantity. Anything else (WattTime's
    /// "percent" health signals, a new unit) is refused rather than guessed.
    /// </summary>
    public static double FactorToGramsPerKwh(string? units)
    {
        var key = (units ?? string.Empty).Trim().ToLowerInvariant().Replace('₂', '2');
        return key switch
        {
            "lbs_co2_per_mwh" or "lb_co2_per_mwh" or "lbs/mwh" or "lb/mwh" => GramsPerPound / 1000.0,
            "g_co2_per_kwh" or "gco2/kwh" or "gco2eq/kwh" or "gco2e/kwh" or "g/kwh"
                or "kg_co2_per_mwh" or "kg/mwh" => 1.0,
            _ => throw new ForecastDataException(
                string.Create(CultureInfo.InvariantCulture, $"unknown intensity unit '{units}': expected lbs_co2_per_mwh, kg_co2_per_mwh or g_co2_per_kwh")),
        };
    }
}
