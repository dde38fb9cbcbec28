namespace ActiveGate.Radio.SlipRadio;

/// <summary>Tuning of a slip-radio link. Defaults follow Contiki's native border router.</summary>
public class SlipRadioOptions
{
    /// <summary>Largest decoded SLIP frame accepted from the radio; longer ones are counted and dropped.</summary>
    public int MaxFrameSize { get; set; } = 256;

    /// <summary>How often <c>?M</c> is repeated until the radio answers (Contiki: 1 s).</summary>
    public TimeSpan MacQueryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a transmit waits for its <c>!R</c> before it reports <see cref="TxStatus.Timeout"/>.</summary>
    public TimeSpan TxStatusTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Minimum gap between two SLIP packets written to the radio. The slip-radio firmware buffers at most
    /// two packets; Contiki's host waits CLOCK_SECOND/32 ≈ 31 ms. Zero disables pacing.
    /// </summary>
    public TimeSpan InterFrameGap { get; set; } = TimeSpan.FromMilliseconds(31);

    /// <summary>How long a <c>?V</c> read-back waits for the radio's <c>!V</c>.</summary>
    public TimeSpan ParameterReplyTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>First wait before reopening a device that failed or disappeared.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the exponential reconnect back-off.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Received frames buffered for the MAC layer before new ones are dropped (and counted).</summary>
    public int ReceiveQueueCapacity { get; set; } = 256;

    /// <summary>How many recent transmits <see cref="RadioLinkStatistics.LastTransmits"/> keeps.</summary>
    public int TxHistoryLength { get; set; } = 16;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values the link cannot work with.</summary>
    public virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameSize, 16, nameof(MaxFrameSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MacQueryInterval, TimeSpan.Zero, nameof(MacQueryInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TxStatusTimeout, TimeSpan.Zero, nameof(TxStatusTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(InterFrameGap, TimeSpan.Zero, nameof(InterFrameGap));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ParameterReplyTimeout, TimeSpan.Zero, nameof(ParameterReplyTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectInitialDelay, TimeSpan.Zero, nameof(ReconnectInitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectMaxDelay, ReconnectInitialDelay, nameof(ReconnectMaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(TxHistoryLength, 1, nameof(TxHistoryLength));
    }
}
