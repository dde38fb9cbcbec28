using ActiveGate.Lwm2m.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Lwm2m.Operations;

/// <summary>A notification the engine decided to send.</summary>
/// <param name="Observation">Who asked.</param>
/// <param name="Records">Current values, or null when the target disappeared (send <see cref="Status"/>).</param>
/// <param name="Status">2.05 normally; 4.04 when the observed path was deleted (the observation ends).</param>
public sealed record Notification(Observation Observation, IReadOnlyList<Lwm2mRecord>? Records, Lwm2mStatus Status);

/// <summary>One Observe relation (single path or composite).</summary>
public sealed class Observation
{
    internal Observation(string token, IReadOnlyList<Lwm2mPath> paths, ushort contentFormat, object? context, DateTimeOffset now)
    {
        Token = token;
        Paths = paths;
        ContentFormat = contentFormat;
        Context = context;
        LastNotified = now;
        LastEvaluated = now;
        Created = now;
    }

    /// <summary>The CoAP token in hex: the key for cancellation.</summary>
    public string Token { get; }
    public IReadOnlyList<Lwm2mPath> Paths { get; }
    public bool IsComposite => Paths.Count > 1;
    public ushort ContentFormat { get; }

    /// <summary>Whatever the transport needs to send the notification (the server endpoint, the request).</summary>
    public object? Context { get; }
    public DateTimeOffset Created { get; }
    public DateTimeOffset LastNotified { get; internal set; }
    public long NotificationCount { get; internal set; }

    internal DateTimeOffset LastEvaluated { get; set; }
    internal IReadOnlyList<Lwm2mRecord> LastRecords { get; set; } = [];
    internal double? LastNumber { get; set; }
    internal ITimer? PminTimer { get; set; }
    internal ITimer? PmaxTimer { get; set; }
    internal ITimer? EpmaxTimer { get; set; }
    internal ITimer? EpminTimer { get; set; }
    internal bool PendingChange { get; set; }
}

/// <summary>
/// Decides when to notify (Core TS 5.1.2 / 6.4): a change is reported no sooner than pmin after the
/// previous notification; with gt/lt/st a numeric resource is reported only when it crossed gt or
/// lt or moved by st (conditions OR-ed); pmax forces a notification even without change; epmax
/// samples computed values that never call NotifyChanged; epmin limits how often values are sampled.
/// Every timer comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class ObservationEngine : IDisposable
{
    private readonly Lwm2mDataModel _model;
    private readonly AttributeStore _attributes;
    private readonly TimeProvider _time;
    private readonly Func<NotificationAttributes> _serverDefaults;
    private readonly Func<Notification, ValueTask> _send;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Observation> _byToken = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="model">The object tree (its Changed event drives notifications).</param>
    /// <param name="attributes">Write-Attributes storage.</param>
    /// <param name="time">Clock and timers.</param>
    /// <param name="serverDefaults">pmin/pmax from the server object (/1/x/2, /1/x/3).</param>
    /// <param name="send">Sends one notification; exceptions are logged, not thrown.</param>
    /// <param name="logger">Optional logger.</param>
    public ObservationEngine(Lwm2mDataModel model, AttributeStore attributes, TimeProvider time, Func<NotificationAttributes> serverDefaults, Func<Notification, ValueTask> send, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(serverDefaults);
        ArgumentNullException.ThrowIfNull(send);
        _model = model;
        _attributes = attributes;
        _time = time;
        _serverDefaults = serverDefaults;
        _send = send;
        _logger = logger ?? NullLogger.Instance;
        _model.Changed += OnModelChanged;
        _attributes.Changed += OnAttributesChanged;
    }

    public IReadOnlyList<Observation> Observations
    {
        get
        {
            lock (_gate)
            {
                return _byToken.Values.ToArray();
            }
        }
    }

    /// <summary>How many observations may exist at once; the request handler refuses more (one server at a time holds them all).</summary>
    public int MaxObservations { get; init; } = int.MaxValue;

    /// <summary>
    /// Whether an Observe with <paramref name="token"/> may be added: there is room, or it re-registers
    /// an existing token. Observations for which <paramref name="ended"/> holds (the CoAP relation is
    /// gone, a notification has not noticed yet) are dropped first so they do not take room.
    /// </summary>
    public bool HasRoomFor(string token, Func<Observation, bool> ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        lock (_gate)
        {
            if (_byToken.Count < MaxObservations || _byToken.ContainsKey(token))
            {
                return true;
            }

            foreach (var stale in _byToken.Values.Where(ended).ToArray())
            {
                StopTimers(stale);
                _byToken.Remove(stale.Token);
            }

            return _byToken.Count < MaxObservations;
        }
    }

    /// <summary>
    /// Registers an observation after the initial response was built from <paramref name="initial"/>.
    /// A new observation with the same token replaces the old one (RFC 7641 §4.1 re-registration).
    /// </summary>
    public Observation Add(string token, IReadOnlyList<Lwm2mPath> paths, ushort contentFormat, IReadOnlyList<Lwm2mRecord> initial, object? context = null)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(initial);
        var observation = new Observation(token, paths, contentFormat, context, _time.GetUtcNow())
        {
            LastRecords = initial,
            NotificationCount = 0,
        };
        observation.LastNumber = SingleNumber(initial);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byToken.Remove(token, out var old))
            {
                StopTimers(old);
            }

            _byToken[token] = observation;
            ScheduleLocked(observation);
        }

        return observation;
    }

    /// <summary>Cancels by token (GET with Observe=1, or RST to a notification).</summary>
    public bool Cancel(string token)
    {
        lock (_gate)
        {
            if (!_byToken.Remove(token, out var observation))
            {
                return false;
            }

            StopTimers(observation);
            return true;
        }
    }

    /// <summary>Cancels every observation of exactly this path (servers that cancel by path).</summary>
    public int CancelByPath(Lwm2mPath path)
    {
        lock (_gate)
        {
            var matching = _byToken.Values.Where(o => o.Paths.Count == 1 && o.Paths[0] == path).ToArray();
            foreach (var o in matching)
            {
                _byToken.Remove(o.Token);
                StopTimers(o);
            }

            return matching.Length;
        }
    }

    /// <summary>Drops every observation (a new Register starts with none, Core TS 6.2.1).</summary>
    public void CancelAll()
    {
        lock (_gate)
        {
            foreach (var o in _byToken.Values)
            {
                StopTimers(o);
            }

            _byToken.Clear();
        }
    }

    public void Dispose()
    {
        _model.Changed -= OnModelChanged;
        _attributes.Changed -= OnAttributesChanged;
        lock (_gate)
        {
            _disposed = true;
            foreach (var o in _byToken.Values)
            {
                StopTimers(o);
            }

            _byToken.Clear();
        }
    }

    private void OnAttributesChanged(object? sender, Lwm2mPath path)
    {
        lock (_gate)
        {
            foreach (var o in _byToken.Values)
            {
                if (o.Paths.Any(p => path.IsPrefixOf(p) || p.IsPrefixOf(path)))
                {
                    ScheduleLocked(o);
                }
            }
        }
    }

    private void OnModelChanged(object? sender, Lwm2mChangedEventArgs e)
    {
        List<Observation> affected;
        lock (_gate)
        {
            affected = _byToken.Values.Where(o => o.Paths.Any(p => e.Paths.Any(c => p.IsPrefixOf(c) || c.IsPrefixOf(p)))).ToList();
        }

        foreach (var o in affected)
        {
            Evaluate(o, forced: false);
        }
    }

    /// <summary>Reads the current value and decides: notify now, later (pmin/epmin) or not at all.</summary>
    private void Evaluate(Observation o, bool forced)
    {
        var now = _time.GetUtcNow();
        IReadOnlyList<Lwm2mRecord>? records;
        try
        {
            records = ReadAll(o);
        }
        catch (Lwm2mException ex) when (ex.Status == Lwm2mStatus.NotFound)
        {
            records = null;
        }

        Notification? toSend = null;
        lock (_gate)
        {
            if (!_byToken.TryGetValue(o.Token, out var current) || !ReferenceEquals(current, o))
            {
                return;
            }

            if (records is null)
            {
                _byToken.Remove(o.Token);
                StopTimers(o);
                toSend = new Notification(o, null, Lwm2mStatus.NotFound);
            }
            else
            {
                var attrs = EffectiveAttributes(o);
                if (!forced && attrs.EvaluationMinPeriod is long epmin && epmin > 0 && now - o.LastEvaluated < TimeSpan.FromSeconds(epmin))
                {
                    // Too early to sample again: look once more when epmin has passed.
                    o.EpminTimer ??= CreateTimer(o, o.LastEvaluated + TimeSpan.FromSeconds(epmin) - now, EvaluateLater);
                    return;
                }

                o.LastEvaluated = now;
                bool changed = forced || IsReportable(o, records, attrs);
                if (!changed)
                {
                    return;
                }

                long pmin = attrs.MinPeriod ?? 0;
                var due = o.LastNotified + TimeSpan.FromSeconds(pmin);
                if (!forced && due > now)
                {
                    o.PendingChange = true;
                    o.PminTimer ??= CreateTimer(o, due - now, SendPending);
                    return;
                }

                toSend = RecordSentLocked(o, records, now);
            }
        }

        Dispatch(toSend);
    }

    private bool IsReportable(Observation o, IReadOnlyList<Lwm2mRecord> records, NotificationAttributes attrs)
    {
        double? number = SingleNumber(records);
        if (!o.IsComposite && attrs.HasChangeConditions && number is double v && o.LastNumber is double previous)
        {
            bool crossedGt = attrs.GreaterThan is double gt && (previous <= gt) != (v <= gt);
            bool crossedLt = attrs.LessThan is double lt && (previous < lt) != (v < lt);
            bool stepped = attrs.Step is double st && Math.Abs(v - previous) >= st;
            return crossedGt || crossedLt || stepped;
        }

        return !records.SequenceEqual(o.LastRecords);
    }

    private Notification RecordSentLocked(Observation o, IReadOnlyList<Lwm2mRecord> records, DateTimeOffset now)
    {
        o.LastNotified = now;
        o.LastRecords = records;
        o.LastNumber = SingleNumber(records) ?? o.LastNumber;
        o.PendingChange = false;
        o.NotificationCount++;
        ScheduleLocked(o);
        return new Notification(o, records, Lwm2mStatus.Content);
    }

    private void SendPending(Observation o)
    {
        Notification? toSend = null;
        lock (_gate)
        {
            o.PminTimer?.Dispose();
            o.PminTimer = null;
            if (!o.PendingChange || !_byToken.ContainsKey(o.Token))
            {
                return;
            }
        }

        IReadOnlyList<Lwm2mRecord>? records;
        try
        {
            records = ReadAll(o);
        }
        catch (Lwm2mException)
        {
            Evaluate(o, forced: false);
            return;
        }

        lock (_gate)
        {
            if (_byToken.TryGetValue(o.Token, out var current) && ReferenceEquals(current, o) && o.PendingChange)
            {
                toSend = RecordSentLocked(o, records, _time.GetUtcNow());
            }
        }

        Dispatch(toSend);
    }

    private void EvaluateLater(Observation o)
    {
        lock (_gate)
        {
            o.EpminTimer?.Dispose();
            o.EpminTimer = null;
        }

        Evaluate(o, forced: false);
    }

    private void OnPmax(Observation o) => Evaluate(o, forced: true);

    private void OnEpmax(Observation o) => Evaluate(o, forced: false);

    /// <summary>(Re)arms pmax and epmax timers from the last notification/evaluation.</summary>
    private void ScheduleLocked(Observation o)
    {
        var attrs = EffectiveAttributes(o);
        var now = _time.GetUtcNow();
        o.PmaxTimer?.Dispose();
        o.PmaxTimer = null;
        long pmin = attrs.MinPeriod ?? 0;

        // pmax of 0, or below pmin, means "no maximum" (Core TS 5.1.2).
        if (attrs.MaxPeriod is long pmax && pmax > 0 && pmax >= pmin)
        {
            var due = o.LastNotified + TimeSpan.FromSeconds(pmax) - now;
            o.PmaxTimer = CreateTimer(o, due < TimeSpan.Zero ? TimeSpan.Zero : due, OnPmax);
        }

        o.EpmaxTimer?.Dispose();
        o.EpmaxTimer = null;
        if (attrs.EvaluationMaxPeriod is long epmax && epmax > 0)
        {
            o.EpmaxTimer = _time.CreateTimer(static s => { var (engine, obs) = ((ObservationEngine, Observation))s!; engine.OnEpmax(obs); }, (this, o), TimeSpan.FromSeconds(epmax), TimeSpan.FromSeconds(epmax));
        }
    }

    private ITimer CreateTimer(Observation o, TimeSpan due, Action<Observation> action) =>
        _time.CreateTimer(static s => { var (obs, act) = ((Observation, Action<Observation>))s!; act(obs); }, (o, action), due, Timeout.InfiniteTimeSpan);

    private NotificationAttributes EffectiveAttributes(Observation o)
    {
        var defaults = _serverDefaults();

        // A composite observation uses the server defaults only (attributes are per path; Core TS 6.4.3).
        return o.IsComposite ? defaults : _attributes.GetEffective(o.Paths[0], defaults);
    }

    private IReadOnlyList<Lwm2mRecord> ReadAll(Observation o)
    {
        if (!o.IsComposite)
        {
            return _model.Read(o.Paths[0], Lwm2mOrigin.DeviceManagement);
        }

        var all = new List<Lwm2mRecord>();
        foreach (var p in o.Paths)
        {
            try
            {
                _model.ReadInto(p, Lwm2mOrigin.DeviceManagement, all);
            }
            catch (Lwm2mException ex) when (ex.Status == Lwm2mStatus.NotFound)
            {
                // Composite: a missing path is just absent from the result.
            }
        }

        return all;
    }

    private static double? SingleNumber(IReadOnlyList<Lwm2mRecord> records) =>
        records.Count == 1 && records[0].Value.TryGetNumber(out double n) ? n : null;

    private static void StopTimers(Observation o)
    {
        o.PminTimer?.Dispose();
        o.PmaxTimer?.Dispose();
        o.EpmaxTimer?.Dispose();
        o.EpminTimer?.Dispose();
        o.PminTimer = o.PmaxTimer = o.EpmaxTimer = o.EpminTimer = null;
    }

    private void Dispatch(Notification? notification)
    {
        if (notification is null)
        {
            return;
        }

        _ = SendSafelyAsync(notification);
    }

    private async Task SendSafelyAsync(Notification notification)
    {
        try
        {
            await _send(notification).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed notification must not take the timer thread down; it is logged and the next change retries.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning(ex, "Notification for {Paths} failed", string.Join(",", notification.Observation.Paths));
        }
    }
}
