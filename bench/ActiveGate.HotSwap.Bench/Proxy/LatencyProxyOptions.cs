namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>The emulated link between the agent and one platform.</summary>
public sealed record LatencyProxyOptions
{
    /// <summary>Round-trip time added; each direction is delayed by half of it.</summary>
    public TimeSpan RoundTrip { get; init; }

    /// <summary>Capacity of each direction in bits per second; 0 = unlimited. Shared by all of the proxy's connections (one link).</summary>
    public double BitsPerSecond { get; init; }

    /// <summary>
    /// The kernel completes the client's TCP handshake with the proxy at once, so a new connection would cost no round
    /// trip. When true, the client's first bytes are held as if connect() had returned one RTT after the accept, i.e.
    /// they reach the target 1.5 RTT after the client connected (a real SYN, SYN-ACK, then data), and a target that is
    /// down is reported one RTT after the accept. Default on: a platform swap opens new connections, and their setup is
    /// part of what the swap costs on a real link. TLS handshakes are not modelled.
    /// </summary>
    public bool ModelHandshake { get; init; } = true;

    /// <summary>Bytes read from a socket at a time (one chunk of the delay line).</summary>
    public int ChunkSize { get; init; } = 16 * 1024;

    /// <summary>Chunks (TCP) or datagrams (UDP) queued per flow and direction; TCP then stops reading (flow control), UDP drops.</summary>
    public int QueueLimit { get; init; } = 256;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Shorthand: RTT in ms, bandwidth in Mbit/s (0 = unlimited).</summary>
    public static LatencyProxyOptions Link(double rttMs, double megabitsPerSecond = 0, bool modelHandshake = true)
        => new() { RoundTrip = TimeSpan.FromMilliseconds(rttMs), BitsPerSecond = megabitsPerSecond * 1e6, ModelHandshake = modelHandshake };
}

/// <summary>Direction of a chunk through the proxy.</summary>
public enum FlowDirection
{
    /// <summary>Client (the agent) to target (the platform): requests.</summary>
    Upstream,

    /// <summary>Target to client: responses.</summary>
    Downstream,
}
