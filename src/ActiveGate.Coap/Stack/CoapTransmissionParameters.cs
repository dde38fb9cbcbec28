namespace ActiveGate.Coap.Stack;

/// <summary>
/// The CoAP transmission parameters of RFC 7252 §4.8 with the derived times of §4.8.2. Every
/// setter validates, so an instance can never hold values the RFC forbids (ACK_TIMEOUT below 1 s,
/// ACK_RANDOM_FACTOR below 1, NSTART of 0, ...).
/// </summary>
/// <example><code>var lossy = CoapTransmissionParameters.Default with { AckTimeout = TimeSpan.FromSeconds(4), MaxRetransmit = 6 };</code></example>
public sealed record CoapTransmissionParameters
{
    private readonly TimeSpan _ackTimeout = TimeSpan.FromSeconds(2);
    private readonly double _ackRandomFactor = 1.5;
    private readonly int _maxRetransmit = 4;
    private readonly int _nstart = 1;
    private readonly TimeSpan _maxLatency = TimeSpan.FromSeconds(100);
    private readonly TimeSpan _defaultLeisure = TimeSpan.FromSeconds(5);

    /// <summary>The RFC 7252 defaults (ACK_TIMEOUT 2 s, factor 1.5, MAX_RETRANSMIT 4, NSTART 1).</summary>
    public static CoapTransmissionParameters Default { get; } = new();

    /// <summary>ACK_TIMEOUT: initial retransmission timeout; at least 1 s (§4.8.1).</summary>
    public TimeSpan AckTimeout
    {
        get => _ackTimeout;
        init
        {
            if (value < TimeSpan.FromSeconds(1))
            {
                throw new ArgumentOutOfRangeException(nameof(AckTimeout), value, "ACK_TIMEOUT must be at least 1 second (RFC 7252 §4.8.1).");
            }

            _ackTimeout = value;
        }
    }

    /// <summary>ACK_RANDOM_FACTOR: the initial timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT × factor]; at least 1.</summary>
    public double AckRandomFactor
    {
        get => _ackRandomFactor;
        init
        {
            if (!(value >= 1.0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(AckRandomFactor), value, "ACK_RANDOM_FACTOR must be a finite number of at least 1.0 (RFC 7252 §4.8.1).");
            }

            _ackRandomFactor = value;
        }
    }

    /// <summary>MAX_RETRANSMIT: retransmissions of a CON before giving up (0–20).</summary>
    public int MaxRetransmit
    {
        get => _maxRetransmit;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(MaxRetransmit));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 20, nameof(MaxRetransmit));
            _maxRetransmit = value;
        }
    }

    /// <summary>NSTART: outstanding interactions per peer; at least 1.</summary>
    public int NStart
    {
        get => _nstart;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(NStart));
            _nstart = value;
        }
    }

    /// <summary>MAX_LATENCY: the longest time a datagram may travel (100 s).</summary>
    public TimeSpan MaxLatency
    {
        get => _maxLatency;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(MaxLatency));
            _maxLatency = value;
        }
    }

    /// <summary>DEFAULT_LEISURE for multicast responses (5 s).</summary>
    public TimeSpan DefaultLeisure
    {
        get => _defaultLeisure;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(DefaultLeisure));
            _defaultLeisure = value;
        }
    }

    /// <summary>PROCESSING_DELAY: time a node takes to turn a CON into an ACK (= ACK_TIMEOUT).</summary>
    public TimeSpan ProcessingDelay => AckTimeout;

    /// <summary>MAX_TRANSMIT_SPAN = ACK_TIMEOUT × (2^MAX_RETRANSMIT − 1) × ACK_RANDOM_FACTOR (45 s by default).</summary>
    public TimeSpan MaxTransmitSpan => AckTimeout * (((1 << MaxRetransmit) - 1) * AckRandomFactor);

    /// <summary>MAX_TRANSMIT_WAIT = ACK_TIMEOUT × (2^(MAX_RETRANSMIT+1) − 1) × ACK_RANDOM_FACTOR (93 s by default).</summary>
    public TimeSpan MaxTransmitWait => AckTimeout * (((1 << (MaxRetransmit + 1)) - 1) * AckRandomFactor);

    /// <summary>EXCHANGE_LIFETIME = MAX_TRANSMIT_SPAN + 2 × MAX_LATENCY + PROCESSING_DELAY (247 s by default).</summary>
    public TimeSpan ExchangeLifetime => MaxTransmitSpan + (2 * MaxLatency) + ProcessingDelay;

    /// <summary>NON_LIFETIME = MAX_TRANSMIT_SPAN + MAX_LATENCY (145 s by default).</summary>
    public TimeSpan NonLifetime => MaxTransmitSpan + MaxLatency;

    /// <summary>A random initial retransmission timeout in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR].</summary>
    internal TimeSpan NextInitialTimeout() =>
#pragma warning disable CA5394 // Timer jitter, not security.
        AckTimeout * (1.0 + (Random.Shared.NextDouble() * (AckRandomFactor - 1.0)));
#pragma warning restore CA5394
}
