namespace ActiveGate.SixLowpan.Rpl.Trickle;

/// <summary>The three Trickle parameters (RFC 6206 §4.1).</summary>
/// <param name="IntervalMin">Imin, the smallest interval.</param>
/// <param name="Doublings">How many times the interval may double: Imax = Imin · 2^Doublings.</param>
/// <param name="RedundancyConstant">k: transmissions are suppressed after hearing k consistent ones (0 = never suppress).</param>
public sealed record TrickleParameters(TimeSpan IntervalMin, int Doublings, int RedundancyConstant)
{
    /// <summary>Imax.</summary>
    public TimeSpan IntervalMax => IntervalMin * Math.Pow(2, Doublings);

    /// <summary>From the DODAG Configuration option fields: Imin = 2^DIOIntMin ms.</summary>
    public static TrickleParameters FromDio(byte dioIntervalMin, byte dioIntervalDoublings, byte dioRedundancy)
    {
        if (dioIntervalMin > 40)
        {
            throw new ArgumentOutOfRangeException(nameof(dioIntervalMin), "2^DIOIntMin ms would overflow.");
        }

        return new TrickleParameters(TimeSpan.FromMilliseconds(Math.Pow(2, dioIntervalMin)), dioIntervalDoublings, dioRedundancy);
    }
}

/// <summary>
/// The Trickle algorithm (RFC 6206) over an injected <see cref="TimeProvider"/>:
/// <list type="number">
/// <item>an interval I starts with counter c = 0 and a random t in [I/2, I);</item>
/// <item>every consistent transmission heard increments c;</item>
/// <item>at t the owner transmits unless k &gt; 0 and c ≥ k;</item>
/// <item>when I ends it doubles, up to Imax, and a new interval starts;</item>
/// <item>an inconsistency (or an external event such as a multicast DIS) resets I to Imin, unless it already is Imin.</item>
/// </list>
/// The transmit callback runs on the timer's thread, outside the timer's lock.
/// </summary>
public sealed class TrickleTimer : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly Action _transmit;
    private readonly Random _random;
    private readonly ITimer _timer;
    private TrickleParameters _parameters;
    private bool _running;
    private bool _beforeTransmitPoint;
    private bool _disposed;

    /// <summary>Creates a stopped timer.</summary>
    /// <param name="parameters">Imin, doublings and k.</param>
    /// <param name="timeProvider">The clock (a FakeTimeProvider in tests).</param>
    /// <param name="transmit">Called at t when not suppressed.</param>
    /// <param name="random">Source of t; seed it for reproducible runs.</param>
    public TrickleTimer(TrickleParameters parameters, TimeProvider timeProvider, Action transmit, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(transmit);
        Validate(parameters);
        _parameters = parameters;
        _timeProvider = timeProvider;
        _transmit = transmit;
        _random = random ?? Random.Shared;
        _timer = timeProvider.CreateTimer(static state => ((TrickleTimer)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The parameters in force.</summary>
    public TrickleParameters Parameters
    {
        get
        {
            lock (_gate)
            {
                return _parameters;
            }
        }
    }

    /// <summary>The current interval I.</summary>
    public TimeSpan CurrentInterval { get; private set; }

    /// <summary>When the current interval started.</summary>
    public DateTimeOffset IntervalStartedAt { get; private set; }

    /// <summary>The transmission point t of the current interval (absolute).</summary>
    public DateTimeOffset TransmitAt { get; private set; }

    /// <summary>Consistent transmissions heard in the current interval (c).</summary>
    public int Counter { get; private set; }

    /// <summary>Intervals started since <see cref="Start"/>.</summary>
    public long IntervalCount { get; private set; }

    /// <summary>Transmissions made.</summary>
    public long TransmissionCount { get; private set; }

    /// <summary>Transmissions suppressed because c ≥ k.</summary>
    public long SuppressionCount { get; private set; }

    /// <summary>Resets to Imin (inconsistencies that shortened the interval).</summary>
    public long ResetCount { get; private set; }

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    /// <summary>Starts with I = Imin (RFC 6206 §4.2 step 1).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _running = true;
            BeginInterval(_parameters.IntervalMin, _timeProvider.GetUtcNow());
        }
    }

    /// <summary>Stops; no transmissions until the next <see cref="Start"/>.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _running = false;
            if (!_disposed)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>A consistent transmission was heard: c += 1.</summary>
    public void Consistent()
    {
        lock (_gate)
        {
            if (_running)
            {
                Counter++;
            }
        }
    }

    /// <summary>
    /// An inconsistency was heard (or an external reset event): if I &gt; Imin, restart with I = Imin.
    /// Returns true when the interval was reset.
    /// </summary>
    public bool Inconsistent()
    {
        lock (_gate)
        {
            if (!_running || CurrentInterval <= _parameters.IntervalMin)
            {
                return false;
            }

            ResetCount++;
            BeginInterval(_parameters.IntervalMin, _timeProvider.GetUtcNow());
            return true;
        }
    }

    /// <summary>Adopts new parameters (for example from a new DODAG Configuration) and restarts at Imin when running.</summary>
    public void Reconfigure(TrickleParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Validate(parameters);
        lock (_gate)
        {
            _parameters = parameters;
            if (_running)
            {
                BeginInterval(parameters.IntervalMin, _timeProvider.GetUtcNow());
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _running = false;
        }

        _timer.Dispose();
    }

    private static void Validate(TrickleParameters parameters)
    {
        if (parameters.IntervalMin <= TimeSpan.Zero || parameters.Doublings is < 0 or > 30 || parameters.RedundancyConstant < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), "Imin must be positive, doublings 0-30 and k non-negative.");
        }
    }

    // Caller holds _gate. Intervals chain on their scheduled boundaries, not on when a (possibly
    // late) timer callback ran, so the schedule does not drift.
    private void BeginInterval(TimeSpan interval, DateTimeOffset start)
    {
        CurrentInterval = interval;
        IntervalStartedAt = start;
        Counter = 0;
        IntervalCount++;
        TimeSpan half = interval / 2;
        TransmitAt = start + half + (half * _random.NextDouble());
        _beforeTransmitPoint = true;
        ScheduleAt(TransmitAt);
    }

    // Caller holds _gate.
    private void ScheduleAt(DateTimeOffset when)
    {
        TimeSpan due = when - _timeProvider.GetUtcNow();
        _timer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        bool transmit = false;
        lock (_gate)
        {
            if (!_running || _disposed)
            {
                return;
            }

            if (_beforeTransmitPoint)
            {
                _beforeTransmitPoint = false;
                if (_parameters.RedundancyConstant == 0 || Counter < _parameters.RedundancyConstant)
                {
                    transmit = true;
                    TransmissionCount++;
                }
                else
                {
                    SuppressionCount++;
                }

                ScheduleAt(IntervalStartedAt + CurrentInterval);
            }
            else
            {
                TimeSpan doubled = CurrentInterval * 2;
                TimeSpan next = doubled > _parameters.IntervalMax ? _parameters.IntervalMax : doubled;
                DateTimeOffset boundary = IntervalStartedAt + CurrentInterval;
                DateTimeOffset now = _timeProvider.GetUtcNow();

                // After a long stall (suspend, starved thread pool) restart from now instead of replaying missed intervals.
                BeginInterval(next, now - boundary > next ? now : boundary);
            }
        }

        if (transmit)
        {
            _transmit();
        }
    }
}
