using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Mesh;

/// <summary>Settings of a <see cref="MeshInterface"/> (bound from <c>Radio:PanId</c> and <c>Mesh:*</c> by the agent).</summary>
public sealed class MeshInterfaceOptions
{
    /// <summary>The PAN id of the mesh (<c>Radio:PanId</c>).</summary>
    public ushort PanId { get; set; } = 0xABCD;

    /// <summary>
    /// The mesh prefix (<c>Mesh:Prefix</c>), also IPHC context 0: <c>fd00::/64</c> for Contiki-NG,
    /// <c>aaaa::/64</c> for Contiki 2.x/3.0 nodes. Must be a /64.
    /// </summary>
    public Ipv6Prefix MeshPrefix { get; set; } = Ipv6Prefix.DefaultMesh;

    /// <summary>Partial datagrams are dropped after this long (RFC 4944 allows at most 60 s).</summary>
    public TimeSpan ReassemblyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Datagrams reassembled at the same time.</summary>
    public int MaxConcurrentReassemblies { get; set; } = 8;

    /// <summary>Largest IPv6 datagram sent or reassembled (1280 = IPv6 minimum MTU).</summary>
    public int MaxDatagramSize { get; set; } = 1280;

    /// <summary>Hop limit of datagrams we originate.</summary>
    public byte HopLimit { get; set; } = 64;

    /// <summary>Answer ICMPv6 echo requests addressed to us.</summary>
    public bool AnswerEchoRequests { get; set; } = true;

    /// <summary>Datagrams queued per UDP socket before the oldest is dropped.</summary>
    public int SocketQueueLength { get; set; } = 64;

    /// <summary>Neighbours kept in the neighbour table.</summary>
    public int NeighborCapacity { get; set; } = 256;

    /// <summary>A neighbour not heard for this long is forgotten.</summary>
    public TimeSpan NeighborLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> when one is out of range.</summary>
    public void Validate()
    {
        if (MeshPrefix.Length != 64)
        {
            throw new ArgumentException("The mesh prefix must be a /64 (it is IPHC context 0 and addresses are prefix + EUI-64 IID).", nameof(MeshPrefix));
        }

        if (ReassemblyTimeout <= TimeSpan.Zero || ReassemblyTimeout > TimeSpan.FromSeconds(60))
        {
            throw new ArgumentException("The reassembly timeout must be in (0, 60] seconds (RFC 4944).", nameof(ReassemblyTimeout));
        }

        if (MaxDatagramSize < 1280 || MaxDatagramSize > Iphc.Iphc.MaxDatagramSize)
        {
            throw new ArgumentException("The datagram size must be between 1280 and 2047.", nameof(MaxDatagramSize));
        }

        if (MaxConcurrentReassemblies < 1 || SocketQueueLength < 1 || NeighborCapacity < 1 || HopLimit == 0)
        {
            throw new ArgumentException("Counts and the hop limit must be positive.");
        }
    }
}
