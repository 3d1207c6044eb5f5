using System.Globalization;
using CarbonFunctions.Core.Forecasts;

namespace CarbonFunctions.Core.Simulation;

/// <summary>
/// What the planner is shown in a replay: the forecast vintage in force at an instant. Vintages are issued every
/// <see cref="RefreshInterval"/> (aligned to the Unix epoch, like the service's forecast timer) and reach
/// <see cref="Horizon"/> ahead of their issue time.
/// </summary>
public abstract class ForecastModel
{
    protected ForecastModel(TimeSpan horizon, TimeSpan refreshInterval)
    {
        if (horizon <= TimeSpan.Zero || refreshInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("the forecast horizon and refresh interval must be positive");
        }

        Horizon = horizon;
        RefreshInterval = refreshInterval;
    }

    public TimeSpan Horizon { get; }

    public TimeSpan RefreshInterval { get; }

    /// <summary>How the model was specified, for the report.</summary>
    public abstract string Describe();

    /// <summary>The issue time of the vintage in force at <paramref name="now"/>.</summary>
    public virtual DateTimeOffset VintageAt(DateTimeOffset now) =>
        new(now.UtcTicks - (now.UtcTicks % RefreshInterval.Ticks), TimeSpan.Zero);

    /// <summary>The next vintage after <paramref name="now"/> (when waiting jobs re-plan).</summary>
    public DateTimeOffset NextVintageAfter(DateTimeOffset now) => VintageAt(now) + RefreshInterval;

    /// <summary>When the next vintage after <paramref name="now"/> is issued, or null when no later one comes.</summary>
    public virtual DateTimeOffset? NextIssueAfter(DateTimeOffset now) => NextVintageAfter(now);

    /// <summary>The forecast the planner sees at <paramref name="now"/>, or null when none covers it.</summary>
    public abstract CarbonIntensitySeries? ForecastAt(DateTimeOffset now, IntensityTrace actuals);

    /// <summary>
    /// Parses <c>perfect</c>, <c>noise:sigma=10,bias=0,growth=0.5[,phi=0.8]</c> (σ and bias in % of the trace mean,
    /// growth: σ added per 24 h of lead time, as a multiple of σ; phi: lag-1 correlation of the errors along a vintage).
    /// </summary>
    public static ForecastModel Parse(string spec, int seed, TimeSpan horizon, TimeSpan refreshInterval)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var trimmed = spec.Trim();
        if (trimmed.Equals("perfect", StringComparison.OrdinalIgnoreCase))
        {
            return new PerfectForecast(horizon, refreshInterval);
        }

        if (trimmed.StartsWith("noise", StringComparison.OrdinalIgnoreCase))
        {
            double sigma = 10, bias = 0, growth = 0.5, phi = 0.8;
            var args = trimmed.Length > 5 && trimmed[5] == ':' ? trimmed[6..] : trimmed.Length == 5 ? string.Empty : throw Bad(spec);
            foreach (var part in args.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
                if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                {
                    throw Bad(spec);
                }

                switch (kv[0].ToLowerInvariant())
                {
                    case "sigma" when value >= 0: sigma = value; break;
                    case "bias": bias = value; break;
                    case "growth" when value >= 0: growth = value; break;
                    case "phi" when value is >= 0 and < 1: phi = value; break;
                    default: throw Bad(spec);
                }
            }

            return new NoisyForecast(sigma, bias, growth, phi, seed, horizon, refreshInterval);
        }

        throw Bad(spec);
    }

    private static FormatException Bad(string spec) =>
        new($"--forecast '{spec}': expected 'perfect' or 'noise:sigma=PCT,bias=PCT,growth=X[,phi=R]' (sigma ≥ 0, growth ≥ 0, 0 ≤ phi < 1)");
}

/// <summary>Forecasts equal to what later happened, up to the horizon: the planner's error is only its horizon.</summary>
public sealed class PerfectForecast(TimeSpan horizon, TimeSpan refreshInterval) : ForecastModel(horizon, refreshInterval)
{
    public override string Describe() => $"perfect, {Horizon.TotalHours:0} h horizon, issued every {RefreshInterval.TotalHours:0.#} h";

    public override CarbonIntensitySeries? ForecastAt(DateTimeOffset now, IntensityTrace actuals)
    {
        ArgumentNullException.ThrowIfNull(actuals);
        var vintage = VintageAt(now);
        return now >= actuals.End ? null : actuals.Window(vintage, vintage + Horizon, vintage);
    }
}

/// <summary>
/// Actuals plus seeded Gaussian error: bias and σ in % of the trace mean, σ growing linearly with lead time, errors
/// AR(1)-correlated along each vintage (forecast errors come in runs, not as white noise). Each vintage's errors are a
/// pure function of the seed and its issue time, so that a replay is repeatable and two re-plans see the same vintage.
/// </summary>
public sealed class NoisyForecast : ForecastModel
{
    private readonly double _sigma;
    private readonly double _bias;
    private readonly double _growth;
    private readonly double _phi;
    private readonly int _seed;
    private DateTimeOffset _cachedVintage = DateTimeOffset.MinValue;
    private CarbonIntensitySeries? _cached;

    public NoisyForecast(double sigmaPercent, double biasPercent, double growthPerDay, double phi, int seed, TimeSpan horizon, TimeSpan refreshInterval)
        : base(horizon, refreshInterval)
    {
        _sigma = sigmaPercent / 100;
        _bias = biasPercent / 100;
        _growth = growthPerDay;
        _phi = phi;
        _seed = seed;
    }

    public override string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"noise σ {_sigma * 100:0.#} % of the mean, bias {_bias * 100:0.#} %, σ growth {_growth:0.##}×/24 h, φ {_phi:0.##}, seed {_seed}; {Horizon.TotalHours:0} h horizon, issued every {RefreshInterval.TotalHours:0.#} h");

    public override CarbonIntensitySeries? ForecastAt(DateTimeOffset now, IntensityTrace actuals)
    {
        ArgumentNullException.ThrowIfNull(actuals);
        if (now >= actuals.End)
        {
            return null;
        }

        var vintage = VintageAt(now);
        if (vintage == _cachedVintage && _cached is not null)
        {
            return _cached;
        }

        var truth = actuals.Window(vintage, vintage + Horizon, vintage);
        var random = new Random(VintageSeed(_seed, vintage.UtcTicks));
        var mean = actuals.Mean;
        var points = new CarbonIntensityPoint[truth.Points.Count];
        var error = 0.0;
        var innovation = Math.Sqrt(1 - (_phi * _phi));
        for (var i = 0; i < points.Length; i++)
        {
            var p = truth.Points[i];
            var leadDays = Math.Max(0, (p.Start - vintage).TotalHours) / 24;
            error = i == 0 ? Gaussian(random) : (_phi * error) + (innovation * Gaussian(random));
            var value = p.GramsPerKwh + (mean * (_bias + (_sigma * (1 + (_growth * leadDays)) * error)));
            points[i] = p with { GramsPerKwh = Math.Max(0, value) };
        }

        _cachedVintage = vintage;
        _cached = truth with { Points = points, Source = "noisy " + truth.Source };
        return _cached;
    }

    /// <summary>A seed from the run's seed and the vintage (SplitMix64): HashCode is randomised per process, this is not.</summary>
    private static int VintageSeed(int seed, long ticks)
    {
        var z = unchecked((ulong)ticks + ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((int)(z ^ (z >> 31)));
    }

    private static double Gaussian(Random random)
    {
        // Box–Muller; 1 - NextDouble() keeps the logarithm's argument in (0, 1].
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
