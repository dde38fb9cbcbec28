namespace ActiveGate.Simulator.Devices;

/// <summary>A consistent set of readings of one channel at one instant.</summary>
/// <param name="PowerW">Active power in W (0 when the relay is off).</param>
/// <param name="CurrentA">RMS current in A (never above the rating).</param>
/// <param name="VoltageV">RMS voltage in V.</param>
/// <param name="EnergyWh">Energy counter in Wh; only grows.</param>
/// <param name="RelayOn">Relay state.</param>
public readonly record struct ChannelReading(double PowerW, double CurrentA, double VoltageV, double EnergyWh, bool RelayOn);

/// <summary>
/// One metered, switchable output of a device. Energy is integrated from the load curve in steps of at
/// most a minute whenever the channel is read, so it is exact enough and only ever grows.
/// </summary>
public sealed class MeterChannel
{
    private static readonly TimeSpan s_integrationStep = TimeSpan.FromMinutes(1);
    private const double NominalVoltage = 230.0;
    private const double PowerFactor = 0.95;

    private readonly LoadProfile _profile;
    private readonly double _voltagePhase;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset _integratedUntil;
    private double _energyWh;
    private bool _relayOn = true;

    /// <summary>Creates channel <paramref name="number"/> (1-based) limited to <paramref name="ratedCurrentA"/>.</summary>
    public MeterChannel(int number, double ratedCurrentA, LoadProfile profile, TimeProvider time, double initialEnergyWh = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratedCurrentA);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(time);
        Number = number;
        RatedCurrentA = ratedCurrentA;
        _profile = profile;
        _time = time;
        _energyWh = initialEnergyWh;
        _integratedUntil = time.GetUtcNow();
        // Each meter sits at its own point of the grid: a per-channel phase of the voltage wander.
        _voltagePhase = (profile.Seed & 0xFFFF) / 65536.0 * 2 * Math.PI;
    }

    /// <summary>1-based channel number (the n in /ch/n/...).</summary>
    public int Number { get; }

    /// <summary>Rated current; the load never draws more.</summary>
    public double RatedCurrentA { get; }

    /// <summary>Raised after the relay changed state.</summary>
    public event EventHandler? RelayChanged;

    /// <summary>Current relay state.</summary>
    public bool RelayOn
    {
        get
        {
            lock (_gate)
            {
                return _relayOn;
            }
        }
    }

    /// <summary>Switches the relay; energy up to now is accounted with the old state.</summary>
    public void SetRelay(bool on)
    {
        bool changed;
        lock (_gate)
        {
            Integrate(_time.GetUtcNow());
            changed = _relayOn != on;
            _relayOn = on;
        }

        if (changed)
        {
            RelayChanged?.Invoke(this, EventArgs.Empty);
        }
    }

    /// <summary>Reads all values at the current time.</summary>
    public ChannelReading Read()
    {
        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            Integrate(now);
            double voltage = VoltageAt(now);
            double power = _relayOn ? PowerAt(now, voltage) : 0;
            double current = power / (voltage * PowerFactor);
            return new ChannelReading(power, current, voltage, _energyWh, _relayOn);
        }
    }

    private double PowerAt(DateTimeOffset time, double voltage)
    {
        // A circuit breaker would trip above the rating; the simulated load simply saturates below it.
        double maxPower = 0.98 * RatedCurrentA * voltage * PowerFactor;
        return Math.Min(_profile.PowerAt(time), maxPower);
    }

    private double VoltageAt(DateTimeOffset time)
    {
        // ±1.5 % slow wander around 230 V plus a little ripple that changes every few seconds.
        double seconds = time.ToUnixTimeSeconds();
        double wander = 0.015 * Math.Sin((seconds / 3600.0) + _voltagePhase);
        double ripple = 0.002 * Math.Sin((Math.Floor(seconds / 3) * 1.7) + _voltagePhase);
        return NominalVoltage * (1 + wander + ripple);
    }

    private void Integrate(DateTimeOffset now)
    {
        if (now <= _integratedUntil)
        {
            return;
        }

        if (_relayOn)
        {
            DateTimeOffset t = _integratedUntil;
            while (t < now)
            {
                DateTimeOffset next = t + s_integrationStep < now ? t + s_integrationStep : now;
                DateTimeOffset middle = t + ((next - t) / 2);
                _energyWh += PowerAt(middle, VoltageAt(middle)) * (next - t).TotalHours;
                t = next;
            }
        }

        _integratedUntil = now;
    }
}
