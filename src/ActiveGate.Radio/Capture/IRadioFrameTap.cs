namespace ActiveGate.Radio.Capture;

/// <summary>Direction of a tapped frame.</summary>
public enum RadioFrameDirection
{
    /// <summary>Received from the air.</summary>
    In,

    /// <summary>Handed to the radio for transmission.</summary>
    Out,
}

/// <summary>Sees every MPDU a link receives or transmits (without FCS). Must not throw and must not block for long.</summary>
public interface IRadioFrameTap
{
    /// <summary>Called on the link's thread for each frame.</summary>
    void OnFrame(RadioFrameDirection direction, DateTimeOffset timestamp, ReadOnlySpan<byte> mpduWithoutFcs);
}
