namespace ActiveGate.Ieee802154.Pcap;

/// <summary>A pcap file or stream is malformed (bad magic, impossible record length, truncated header).</summary>
public sealed class PcapFormatException : Exception
{
    /// <summary>Creates the exception with a message that says what was wrong.</summary>
    public PcapFormatException(string message)
        : base(message)
    {
    }
}
