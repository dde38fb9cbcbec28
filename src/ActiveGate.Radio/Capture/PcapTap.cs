using ActiveGate.Ieee802154.Pcap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Radio.Capture;

/// <summary>
/// Writes every frame in and out to a pcap stream so Wireshark can follow the mesh, live through a FIFO
/// (<c>mkfifo /tmp/mesh; wireshark -k -i /tmp/mesh</c>) or afterwards from a file. With link type 195 the
/// FCS the radio adds on air is computed and appended (Wireshark then shows <c>wpan.fcs_ok</c>).
/// </summary>
/// <remarks>A write error (the FIFO reader went away, disk full) disables the tap; the link keeps running.</remarks>
public sealed class PcapTap : IRadioFrameTap, IDisposable
{
    private readonly PcapWriter _writer;
    private readonly ILogger _logger;
    private volatile bool _failed;

    /// <summary>Taps into <paramref name="stream"/> (owned by the tap unless <paramref name="leaveOpen"/>).</summary>
    public PcapTap(Stream stream, PcapLinkType linkType = PcapLinkType.Ieee802154WithFcs, bool leaveOpen = false, ILogger<PcapTap>? logger = null)
    {
        _writer = new PcapWriter(stream, linkType, leaveOpen);
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for writing: a regular file is created or truncated, a FIFO is opened
    /// as it is (this blocks until a reader opens the other end).
    /// </summary>
    public static PcapTap Open(string path, PcapLinkType linkType = PcapLinkType.Ieee802154WithFcs, ILogger<PcapTap>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // O_TRUNC is ignored for FIFOs, so Create works for both kinds; bufferSize 0 writes each record at once.
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        try
        {
            return new PcapTap(stream, linkType, leaveOpen: false, logger);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Frames written so far.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>True once a write failed; no more frames are written.</summary>
    public bool Failed => _failed;

    /// <inheritdoc />
    public void OnFrame(RadioFrameDirection direction, DateTimeOffset timestamp, ReadOnlySpan<byte> mpduWithoutFcs)
    {
        if (_failed)
        {
            return;
        }

        try
        {
            _writer.WriteFrame(timestamp, mpduWithoutFcs);
            FramesWritten++;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            _failed = true;
            _logger.LogWarning(ex, "pcap tap stopped: {Message}", ex.Message);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
