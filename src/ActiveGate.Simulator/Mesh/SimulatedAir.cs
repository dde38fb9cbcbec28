using ActiveGate.Ieee802154;
using ActiveGate.Radio;

namespace ActiveGate.Simulator.Mesh;

/// <summary>Something with an 802.15.4 radio on the simulated air: the border router's radio board or a node.</summary>
public interface IAirStation
{
    /// <summary>The station's EUI-64 (canonical order), its extended MAC address.</summary>
    ulong ExtendedAddress { get; }

    /// <summary>Channel the station listens on; frames cross only between stations on one channel.</summary>
    int Channel { get; }

    /// <summary>A frame for this station (after the address filter). Must not block.</summary>
    void Deliver(ReadOnlyMemory<byte> mpdu);
}

/// <summary>Loss and delay of the simulated air.</summary>
public sealed class AirOptions
{
    /// <summary>Probability that one transmission attempt is lost (frame or its ACK), 0..1.</summary>
    public double LossRate { get; set; }

    /// <summary>One-way delay added to every transmission attempt.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Attempts of a CSMA radio for an acknowledged unicast (1 + retries).</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Seed of the loss decisions (and of nothing else), for reproducible runs.</summary>
    public int Seed { get; set; } = 1;
}

/// <summary>
/// The shared medium. Without a link graph every station hears every other one (single hop, a star
/// around the border router); with one (<see cref="Link"/>) a frame reaches only the stations linked
/// to its sender, each link with its own loss on top of <see cref="AirOptions.LossRate"/>.
/// Unicast frames with ACK request are retried like CSMA with auto-ACK does and report NoAck when all
/// attempts are lost or nobody in range has the address; broadcasts go once to every station in range,
/// each copy lost independently.
/// </summary>
public sealed class SimulatedAir
{
    private readonly AirOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly List<IAirStation> _stations = [];

    // Station EUI-64 → (neighbour EUI-64 → loss probability of that link); null = everybody in range.
    private Dictionary<ulong, Dictionary<ulong, double>>? _links;

    /// <summary>Creates the medium.</summary>
    public SimulatedAir(AirOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.LossRate, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.LossRate, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
#pragma warning disable CA5394 // Simulated radio loss, not security.
        _random = new Random(options.Seed);
#pragma warning restore CA5394
    }

    /// <summary>Frames that crossed the air (attempts that were not lost).</summary>
    public long FramesDelivered { get; private set; }

    /// <summary>Transmission attempts that were lost.</summary>
    public long AttemptsLost { get; private set; }

    /// <summary>
    /// Sees every frame that crosses the air: (sender EUI-64, receiver EUI-64, MPDU without FCS). Called
    /// on the sender's thread; must be quick. For tests and captures.
    /// </summary>
    public Action<ulong, ulong, ReadOnlyMemory<byte>>? Tap { get; set; }

    /// <summary>Adds a station.</summary>
    public void Attach(IAirStation station)
    {
        ArgumentNullException.ThrowIfNull(station);
        lock (_gate)
        {
            _stations.Add(station);
        }
    }

    /// <summary>True once a link graph is in force (multi-hop); false while everybody hears everybody.</summary>
    public bool HasLinkGraph
    {
        get
        {
            lock (_gate)
            {
                return _links is not null;
            }
        }
    }

    /// <summary>Takes a station off the air: it no longer hears or is heard (a node switched off).</summary>
    public void Detach(IAirStation station)
    {
        ArgumentNullException.ThrowIfNull(station);
        lock (_gate)
        {
            _stations.Remove(station);
        }
    }

    /// <summary>
    /// Puts stations <paramref name="a"/> and <paramref name="b"/> (EUI-64s) in radio range of each other with
    /// <paramref name="loss"/> per transmission attempt. The first call switches the air from "everybody in
    /// range" to the link graph.
    /// </summary>
    public void Link(ulong a, ulong b, double loss = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(loss, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(loss, 1.0);
        if (a == b)
        {
            return;
        }

        lock (_gate)
        {
            _links ??= [];
            LinksOf(a)[b] = loss;
            LinksOf(b)[a] = loss;
        }
    }

    /// <summary>Takes <paramref name="a"/> and <paramref name="b"/> out of each other's range.</summary>
    public void Unlink(ulong a, ulong b)
    {
        lock (_gate)
        {
            if (_links is not null)
            {
                LinksOf(a).Remove(b);
                LinksOf(b).Remove(a);
            }
        }
    }

    /// <summary>Removes every link of <paramref name="station"/> (before moving it elsewhere with <see cref="Link"/>).</summary>
    public void Isolate(ulong station)
    {
        lock (_gate)
        {
            if (_links is null || !_links.TryGetValue(station, out Dictionary<ulong, double>? mine))
            {
                return;
            }

            foreach (ulong other in mine.Keys)
            {
                LinksOf(other).Remove(station);
            }

            mine.Clear();
        }
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> hear each other.</summary>
    public bool InRange(ulong a, ulong b)
    {
        lock (_gate)
        {
            return a != b && (_links is null || (_links.TryGetValue(a, out Dictionary<ulong, double>? l) && l.ContainsKey(b)));
        }
    }

    /// <summary>The EUI-64s in range of <paramref name="station"/> (every attached station without a link graph).</summary>
    public IReadOnlyList<ulong> NeighboursOf(ulong station)
    {
        lock (_gate)
        {
            if (_links is null)
            {
                return [.. _stations.Select(s => s.ExtendedAddress).Where(e => e != station)];
            }

            return _links.TryGetValue(station, out Dictionary<ulong, double>? l) ? [.. l.Keys] : [];
        }
    }

    /// <summary>Stations that can hear <paramref name="sender"/>.</summary>
    public IReadOnlyList<IAirStation> Neighbours(IAirStation sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        lock (_gate)
        {
            Dictionary<ulong, double>? inRange = null;
            if (_links is not null && !_links.TryGetValue(sender.ExtendedAddress, out inRange))
            {
                return [];
            }

            return [.. _stations.Where(s => s != sender && s.Channel == sender.Channel && (inRange is null || inRange.ContainsKey(s.ExtendedAddress)))];
        }
    }

    /// <summary>Sends one MPDU (without FCS) from <paramref name="sender"/>, as a radio with CSMA and auto-ACK would.</summary>
    public async ValueTask<TxResult> TransmitAsync(IAirStation sender, ReadOnlyMemory<byte> mpdu, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (!MacFrameCodec.TryReadHeader(mpdu.Span, out MacHeader header, out _, out _))
        {
            return new TxResult(TxStatus.ErrorFatal, 0);
        }

        IReadOnlyList<IAirStation> neighbours = Neighbours(sender);
        MacAddress destination = header.Destination;
        if (destination.IsBroadcast || destination.Mode == AddressingMode.None)
        {
            await DelayAsync(cancellationToken).ConfigureAwait(false);
            foreach (IAirStation station in neighbours)
            {
                if (!Lost(sender, station))
                {
                    Deliver(sender, station, mpdu);
                }
            }

            return new TxResult(TxStatus.Ok, 1);
        }

        IAirStation? target = destination.Mode == AddressingMode.Extended
            ? neighbours.FirstOrDefault(s => s.ExtendedAddress == destination.ExtendedValue)
            : null; // Short addresses are not assigned in this mesh.
        int attempts = header.AckRequest ? _options.MaxAttempts : 1;
        for (int attempt = 1; attempt <= attempts; attempt++)
        {
            await DelayAsync(cancellationToken).ConfigureAwait(false);
            if (target is not null && !Lost(sender, target))
            {
                Deliver(sender, target, mpdu);
                return new TxResult(TxStatus.Ok, attempt);
            }
        }

        return header.AckRequest ? new TxResult(TxStatus.NoAck, attempts) : new TxResult(TxStatus.Ok, 1);
    }

    private void Deliver(IAirStation sender, IAirStation station, ReadOnlyMemory<byte> mpdu)
    {
        lock (_gate)
        {
            FramesDelivered++;
        }

        byte[] copy = mpdu.ToArray();
        Tap?.Invoke(sender.ExtendedAddress, station.ExtendedAddress, copy);
        station.Deliver(copy);
    }

    private bool Lost(IAirStation from, IAirStation to)
    {
        lock (_gate)
        {
            double linkLoss = 0;
            if (_links is not null && _links.TryGetValue(from.ExtendedAddress, out Dictionary<ulong, double>? l) && l.TryGetValue(to.ExtendedAddress, out double p))
            {
                linkLoss = p;
            }

            // Independent causes: the air at large and this particular link.
            double loss = 1 - ((1 - _options.LossRate) * (1 - linkLoss));
#pragma warning disable CA5394 // Simulated radio loss, not security.
            bool lost = loss > 0 && _random.NextDouble() < loss;
#pragma warning restore CA5394
            if (lost)
            {
                AttemptsLost++;
            }

            return lost;
        }
    }

    // Caller holds _gate.
    private Dictionary<ulong, double> LinksOf(ulong station)
    {
        if (!_links!.TryGetValue(station, out Dictionary<ulong, double>? links))
        {
            links = [];
            _links[station] = links;
        }

        return links;
    }

    private Task DelayAsync(CancellationToken cancellationToken)
        => _options.Delay > TimeSpan.Zero ? Task.Delay(_options.Delay, _time, cancellationToken) : Task.CompletedTask;
}
