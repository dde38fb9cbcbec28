using System.Collections.Concurrent;
using System.Net;

namespace ActiveGate.Coap.Transport.InMemory;

/// <summary>One datagram on an <see cref="InMemoryNetwork"/>.</summary>
/// <param name="From">Sender.</param>
/// <param name="To">Destination.</param>
/// <param name="Data">The bytes (a private copy).</param>
public sealed record InMemoryDatagram(EndPoint From, EndPoint To, ReadOnlyMemory<byte> Data);

/// <summary>
/// A simulated datagram network for tests: transports created here reach each other by address.
/// Loss, duplication and reordering are random with a fixed seed (reproducible), and a
/// <see cref="Filter"/> can script drops exactly. Delivery is immediate, so tests drive all time
/// with a fake <see cref="TimeProvider"/>.
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<EndPoint, InMemoryDatagramTransport> _transports = new();
    private readonly object _lock = new();
    private readonly Random _random;
    private InMemoryDatagram? _held;
    private int _nextPort = 40000;
    private long _delivered;
    private long _dropped;
    private long _duplicated;
    private long _reordered;

    /// <summary>Creates a network; the seed makes loss, duplication and reordering reproducible.</summary>
    public InMemoryNetwork(int seed = 1)
    {
#pragma warning disable CA5394 // Simulation randomness, not security.
        _random = new Random(seed);
#pragma warning restore CA5394
    }

    /// <summary>Probability (0–1) that a datagram is lost.</summary>
    public double LossRate { get; set; }

    /// <summary>Probability (0–1) that a datagram is delivered twice.</summary>
    public double DuplicationRate { get; set; }

    /// <summary>Probability (0–1) that a datagram is held back and delivered after the next one.</summary>
    public double ReorderRate { get; set; }

    /// <summary>Scripted loss: return true to drop a datagram (applied before the random effects).</summary>
    public Func<InMemoryDatagram, bool>? Filter { get; set; }

    /// <summary>Observes every datagram sent (before loss), for assertions.</summary>
    public event Action<InMemoryDatagram>? DatagramSent;

    /// <summary>Datagrams delivered.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Datagrams dropped (loss, filter, unknown destination).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Extra copies delivered.</summary>
    public long Duplicated => Interlocked.Read(ref _duplicated);

    /// <summary>Datagrams delivered out of order.</summary>
    public long Reordered => Interlocked.Read(ref _reordered);

    /// <summary>Creates a transport at <paramref name="address"/> (default: 127.0.0.1 and the next free port).</summary>
    public InMemoryDatagramTransport CreateTransport(EndPoint? address = null, int maxDatagramSize = 1152)
    {
        address ??= new IPEndPoint(IPAddress.Loopback, Interlocked.Increment(ref _nextPort));
        var transport = new InMemoryDatagramTransport(this, address, maxDatagramSize);
        if (!_transports.TryAdd(address, transport))
        {
            throw new InvalidOperationException($"{address} is already in use.");
        }

        return transport;
    }

    /// <summary>Delivers a datagram held back for reordering now.</summary>
    public void FlushHeld()
    {
        InMemoryDatagram? held;
        lock (_lock)
        {
            held = _held;
            _held = null;
        }

        if (held is not null)
        {
            Deliver(held);
        }
    }

    internal void Detach(InMemoryDatagramTransport transport) => _transports.TryRemove(transport.LocalEndPoint, out _);

    internal void Route(InMemoryDatagram datagram)
    {
        DatagramSent?.Invoke(datagram);
        if (Filter?.Invoke(datagram) == true)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        bool lose, duplicate, holdBack;
        InMemoryDatagram? release = null;
        lock (_lock)
        {
#pragma warning disable CA5394 // Simulation randomness, not security.
            lose = _random.NextDouble() < LossRate;
            duplicate = _random.NextDouble() < DuplicationRate;
            holdBack = _random.NextDouble() < ReorderRate;
#pragma warning restore CA5394
            if (!lose)
            {
                if (holdBack && _held is null)
                {
                    _held = datagram;
                    return;
                }

                release = _held;
                _held = null;
            }
        }

        if (lose)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        Deliver(datagram);
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicated);
            Deliver(datagram);
        }

        if (release is not null)
        {
            Interlocked.Increment(ref _reordered);
            Deliver(release);
        }
    }

    private void Deliver(InMemoryDatagram datagram)
    {
        if (_transports.TryGetValue(datagram.To, out InMemoryDatagramTransport? target) && target.Enqueue(datagram))
        {
            Interlocked.Increment(ref _delivered);
        }
        else
        {
            Interlocked.Increment(ref _dropped);
        }
    }
}
