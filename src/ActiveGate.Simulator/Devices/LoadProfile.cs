namespace ActiveGate.Simulator.Devices;

/// <summary>
/// A believable daily load: a base load plus morning and evening peaks (Gaussian bumps over the hour of
/// day), a little midday activity, and multiplicative noise. Deterministic for a given seed and instant.
/// </summary>
public sealed class LoadProfile
{
    private readonly double _baseWatts;
    private readonly double _peakWatts;
    private readonly double _morningHour;
    private readonly double _eveningHour;
    private readonly double _noise;
    private readonly int _seed;

    /// <summary>Creates a profile.</summary>
    /// <param name="baseWatts">Always-on consumption (standby, fridge compressor average).</param>
    /// <param name="peakWatts">Additional power at the top of the evening peak.</param>
    /// <param name="morningHour">Local hour of the morning peak (e.g. 7.5).</param>
    /// <param name="eveningHour">Local hour of the evening peak (e.g. 19.0).</param>
    /// <param name="noise">Relative noise amplitude, 0..1.</param>
    /// <param name="seed">Seed of the noise.</param>
    public LoadProfile(double baseWatts, double peakWatts, double morningHour, double eveningHour, double noise, int seed)
    {
        _baseWatts = baseWatts;
        _peakWatts = peakWatts;
        _morningHour = morningHour;
        _eveningHour = eveningHour;
        _noise = noise;
        _seed = seed;
    }

    /// <summary>Seed of the noise; also gives each meter its own voltage phase.</summary>
    public int Seed => _seed;

    /// <summary>A random household-like profile whose peak stays below <paramref name="maxWatts"/>.</summary>
    public static LoadProfile Random(Random random, double maxWatts)
    {
        ArgumentNullException.ThrowIfNull(random);
#pragma warning disable CA5394 // Simulation noise, not security.
        double peak = maxWatts * (0.25 + (0.5 * random.NextDouble()));
        double baseLoad = maxWatts * (0.01 + (0.05 * random.NextDouble()));
        return new LoadProfile(baseLoad, peak - baseLoad, 6.5 + (2 * random.NextDouble()), 18 + (3 * random.NextDouble()), 0.08, random.Next());
#pragma warning restore CA5394
    }

    /// <summary>Power demand in watts at <paramref name="time"/> (before the relay and the rating limit).</summary>
    public double PowerAt(DateTimeOffset time)
    {
        double hour = time.UtcDateTime.TimeOfDay.TotalHours;
        double shape = (0.6 * Bump(hour, _morningHour, 1.2)) + Bump(hour, _eveningHour, 2.0) + (0.2 * Bump(hour, 13, 2.5));
        double watts = _baseWatts + (_peakWatts * Math.Min(1.0, shape));
        return Math.Max(0, watts * (1 + (_noise * Noise(time))));
    }

    // Gaussian bump, wrapping around midnight.
    private static double Bump(double hour, double center, double width)
    {
        double d = Math.Abs(hour - center);
        d = Math.Min(d, 24 - d);
        return Math.Exp(-(d * d) / (2 * width * width));
    }

    // Smooth-ish noise in -1..1 that changes every 10 s, deterministic per seed and time slot.
    private double Noise(DateTimeOffset time)
    {
        long slot = time.ToUnixTimeSeconds() / 10;
        ulong x = (ulong)slot * 0x9E3779B97F4A7C15UL ^ (ulong)_seed;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 29;
        return ((x % 20001) / 10000.0) - 1.0;
    }
}
