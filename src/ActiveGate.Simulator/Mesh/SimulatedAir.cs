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
/// The shared medium: every station hears every other one (single hop, a star around the border router).
/// Unicast frames with ACK request are retried like CSMA with auto-ACK does and report NoAck when all
/// attempts are lost or nobody has the address; broadcasts go once to everybody, each copy lost independently.
/// </summary>
/// <remarks>Multi-hop (RPL) topologies can replace <see cref="Neighbours"/> with a link table later.</remarks>
public sealed class SimulatedAir
{
    private readonly AirOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly List<IAirStation> _stations = [];

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

    /// <summary>Adds a station.</summary>
    public void Attach(IAirStation station)
    {
        ArgumentNullException.ThrowIfNull(station);
        lock (_gate)
        {
            _stations.Add(station);
        }
    }

    /// <summary>Stations that can hear <paramref name="sender"/>.</summary>
    public IReadOnlyList<IAirStation> Neighbours(IAirStation sender)
    {
        lock (_gate)
        {
            return [.. _stations.Where(s => s != sender && s.Channel == sender.Channel)];
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
                if (!Lost())
                {
                    Deliver(station, mpdu);
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
            if (target is not null && !Lost())
            {
                Deliver(target, mpdu);
                return new TxResult(TxStatus.Ok, attempt);
            }
        }

        return header.AckRequest ? new TxResult(TxStatus.NoAck, attempts) : new TxResult(TxStatus.Ok, 1);
    }

    private void Deliver(IAirStation station, ReadOnlyMemory<byte> mpdu)
    {
        lock (_gate)
        {
            FramesDelivered++;
        }

        station.Deliver(mpdu.ToArray());
    }

    private bool Lost()
    {
        lock (_gate)
        {
#pragma warning disable CA5394 // Simulated radio loss, not security.
            bool lost = _options.LossRate > 0 && _random.NextDouble() < _options.LossRate;
#pragma warning restore CA5394
            if (lost)
            {
                AttemptsLost++;
            }

            return lost;
        }
    }

    private Task DelayAsync(CancellationToken cancellationToken)
        => _options.Delay > TimeSpan.Zero ? Task.Delay(_options.Delay, _time, cancellationToken) : Task.CompletedTask;
}
