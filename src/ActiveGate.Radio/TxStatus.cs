namespace ActiveGate.Radio;

/// <summary>
/// Transmit outcome, normalised across radio protocols. The first seven values equal Contiki's
/// <c>MAC_TX_*</c> codes carried in slip-radio's <c>!R</c> report.
/// </summary>
public enum TxStatus : byte
{
    /// <summary>Sent (and acknowledged when an ACK was requested).</summary>
    Ok = 0,

    /// <summary>Channel access failure (CCA busy after all CSMA back-offs).</summary>
    Collision = 1,

    /// <summary>An ACK was requested but never arrived after all retries.</summary>
    NoAck = 2,

    /// <summary>The radio deferred the frame (for example it is busy receiving).</summary>
    Deferred = 3,

    /// <summary>A transient radio error; the frame may be retried.</summary>
    Error = 4,

    /// <summary>A permanent radio error; retrying the same frame will not help.</summary>
    ErrorFatal = 5,

    /// <summary>The radio's transmit queue is full (Contiki-NG only).</summary>
    QueueFull = 6,

    /// <summary>The radio did not report within the per-frame timeout.</summary>
    Timeout = 100,

    /// <summary>The link is down (no device, or it disappeared while the frame was pending); nothing was sent.</summary>
    LinkDown = 101,

    /// <summary>The radio reported a status code this host does not know.</summary>
    Unknown = 255,
}

/// <summary>Result of <see cref="IRadioLink.TransmitAsync"/>.</summary>
/// <param name="Status">Normalised status.</param>
/// <param name="Transmissions">How many times the radio put the frame on the air (0 when unknown).</param>
public readonly record struct TxResult(TxStatus Status, int Transmissions)
{
    /// <summary>True for <see cref="TxStatus.Ok"/>.</summary>
    public bool IsSuccess => Status == TxStatus.Ok;
}
