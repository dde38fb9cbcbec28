using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Mesh;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.SixLowpan.Rpl.Root;

/// <summary>
/// Wires an <see cref="RplRoot"/> into a <see cref="MeshInterface"/>: ICMPv6 type 155 goes to the
/// root, the root's DIOs and DAO-ACKs leave through the interface, and the interface asks the root
/// for routes (storing: the next hop; non-storing: the first hop plus an RFC 6554 source route).
/// </summary>
/// <example>
/// <code>
/// var binding = new RplMeshBinding(mesh);
/// var root = new RplRoot(new RplRootOptions { DodagId = mesh.MeshAddress, Prefix = mesh.MeshPrefix, Mode = RplMode.NonStoring }, binding, timeProvider);
/// binding.Bind(root);   // registers the 155 handler and mesh.Router
/// root.Start();
/// </code>
/// </example>
public sealed class RplMeshBinding : IRplMessageSink, IMeshRouter, IDisposable
{
    // Type, code and checksum precede the RPL body.
    private const int RplMessageMinimum = 4;

    private readonly MeshInterface _mesh;
    private readonly ILogger _logger;
    private RplRoot? _root;
    private long _sendFailures;

    /// <summary>Creates the binding; pass it as the root's sink, then call <see cref="Bind"/>.</summary>
    public RplMeshBinding(MeshInterface mesh, ILogger<RplMeshBinding>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        _mesh = mesh;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Messages the interface could not send (no route, link failure).</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>Connects the root: ICMPv6 155 handler and <see cref="MeshInterface.Router"/>.</summary>
    public void Bind(RplRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        _mesh.SetIcmpv6Handler(RplConstants.IcmpType, OnRplMessage);
        _mesh.Router = this;

        // Any datagram from a node (a CoAP notification, say) shows it is alive, not only RPL messages.
        _mesh.DatagramHeard += OnDatagramHeard;
    }

    private void OnDatagramHeard(HeardDatagram heard) =>
        _root?.NoteHeard(new RplReceiveContext(heard.Source, heard.Destination, heard.LinkSource, heard.RplOption, heard.Lqi));

    /// <inheritdoc />
    public void Send(in RplOutgoingMessage message)
    {
        ReadOnlyMemory<byte> icmp = message.Icmpv6Message;
        _ = SendAsync(message.Destination, icmp.Span[1], icmp[RplMessageMinimum..]);
    }

    /// <inheritdoc />
    public bool TryGetRoute(Ipv6Address destination, out MeshRoute route)
    {
        route = default;
        if (_root is not { } root || destination.IsMulticast || destination.IsLinkLocal)
        {
            return false;
        }

        Span<Ipv6Address> via = stackalloc Ipv6Address[root.Options.MaxPathLength];
        if (!root.TryGetSourceRoute(destination, via, out int count) || !root.TryGetNextHop(destination, out Ipv6Address nextHop))
        {
            return false;
        }

        // Storing mode has no SRH; there the RFC 6553 option marks the packet as routed down the DODAG.
        route = new MeshRoute(
            InterfaceIdentifier.ToMac(nextHop.Low),
            count > 0 ? via[..count].ToArray() : null,
            root.Mode == RplMode.Storing && nextHop.Low != destination.Low ? root.DownwardOption : null);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_root is not null)
        {
            _mesh.SetIcmpv6Handler(RplConstants.IcmpType, null);
            _mesh.DatagramHeard -= OnDatagramHeard;
            if (ReferenceEquals(_mesh.Router, this))
            {
                _mesh.Router = null;
            }

            _root = null;
        }
    }

    private void OnRplMessage(Icmpv6Received received)
    {
        if (_root is not { } root)
        {
            return;
        }

        // The interface verified the checksum and hands over the body; the codec reads whole messages.
        byte[] icmp = new byte[RplMessageMinimum + received.Body.Length];
        icmp[0] = received.Type;
        icmp[1] = received.Code;
        received.Body.Span.CopyTo(icmp.AsSpan(RplMessageMinimum));
        var context = new RplReceiveContext(
            received.Packet.Header.Source,
            received.Packet.FinalDestination,
            received.LinkSource,
            received.Packet.RplOption,
            received.Lqi);
        root.HandleIcmp(context, icmp);
    }

    private async Task SendAsync(Ipv6Address destination, byte code, ReadOnlyMemory<byte> body)
    {
        try
        {
            MeshSendStatus status = await _mesh.SendIcmpv6Async(destination, RplConstants.IcmpType, code, body).ConfigureAwait(false);
            if (status != MeshSendStatus.Ok)
            {
                Interlocked.Increment(ref _sendFailures);
                RplMeshBindingLog.SendFailed(_logger, code, destination, status.ToString());
            }
        }
        catch (Exception exception) when (exception is ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Interlocked.Increment(ref _sendFailures);
            RplMeshBindingLog.SendFailed(_logger, code, destination, exception.GetType().Name);
        }
    }
}

/// <summary>Log messages of <see cref="RplMeshBinding"/>.</summary>
internal static partial class RplMeshBindingLog
{
    [LoggerMessage(20, LogLevel.Debug, "RPL message code {Code} to {Destination} not sent: {Status}")]
    public static partial void SendFailed(ILogger logger, byte code, Ipv6Address destination, string status);
}
