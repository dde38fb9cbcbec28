using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Rpl.Messages;

/// <summary>
/// An RPL control message: the body of an ICMPv6 type 155 message after
/// <c>Type(1) Code(1) Checksum(2)</c>. Control messages are rare (seconds apart), so the model
/// favours clarity over zero allocation; the hot data path only touches the HBH option and SRH.
/// </summary>
public abstract record RplMessage
{
    /// <summary>The ICMPv6 code.</summary>
    public abstract byte Code { get; }

    /// <summary>Options in wire order (padding removed).</summary>
    public IReadOnlyList<RplOption> Options { get; init; } = [];

    /// <summary>The first option of a type, or null.</summary>
    public T? FindOption<T>()
        where T : RplOption
    {
        foreach (RplOption option in Options)
        {
            if (option is T typed)
            {
                return typed;
            }
        }

        return null;
    }
}

/// <summary>
/// DODAG Information Solicitation (code 0x00, RFC 6550 §6.2.1).
/// <code>
///  0                   1                   2
/// |     Flags     |   Reserved    |   Option(s)...
/// </code>
/// </summary>
public sealed record RplDis : RplMessage
{
    /// <summary>Flags (none defined).</summary>
    public byte Flags { get; init; }

    /// <summary>Reserved byte.</summary>
    public byte Reserved { get; init; }

    /// <inheritdoc />
    public override byte Code => RplConstants.CodeDis;
}

/// <summary>
/// DODAG Information Object (code 0x01, RFC 6550 §6.3.1).
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// | RPLInstanceID |Version Number |             Rank              |
/// |G|0| MOP | Prf |     DTSN      |     Flags     |   Reserved    |
/// |                        DODAGID (16 bytes)                     |
/// |   Option(s)...
/// </code>
/// </summary>
public sealed record RplDio : RplMessage
{
    /// <summary>Length of the fixed part.</summary>
    public const int BaseLength = 24;

    /// <summary>RPLInstanceID.</summary>
    public byte InstanceId { get; init; }

    /// <summary>DODAG version (lollipop).</summary>
    public byte Version { get; init; }

    /// <summary>The sender's rank.</summary>
    public ushort Rank { get; init; }

    /// <summary>G: the DODAG reaches an application goal (a grounded root).</summary>
    public bool Grounded { get; init; }

    /// <summary>Mode of Operation (3 bits).</summary>
    public RplMode Mode { get; init; }

    /// <summary>DODAG preference (3 bits, 7 = most preferred).</summary>
    public byte Preference { get; init; }

    /// <summary>Destination Advertisement Trigger Sequence Number (lollipop).</summary>
    public byte Dtsn { get; init; }

    /// <summary>Flags (none defined).</summary>
    public byte Flags { get; init; }

    /// <summary>Reserved byte.</summary>
    public byte Reserved { get; init; }

    /// <summary>The DODAG id (the root's global address).</summary>
    public Ipv6Address DodagId { get; init; }

    /// <inheritdoc />
    public override byte Code => RplConstants.CodeDio;
}

/// <summary>
/// Destination Advertisement Object (code 0x02, RFC 6550 §6.4.1).
/// <code>
///  0                   1                   2                   3
/// | RPLInstanceID |K|D|   Flags   |   Reserved    | DAOSequence   |
/// |                   DODAGID* (16 bytes, if D)                   |
/// |   Option(s)...
/// </code>
/// </summary>
public sealed record RplDao : RplMessage
{
    /// <summary>RPLInstanceID.</summary>
    public byte InstanceId { get; init; }

    /// <summary>K: the sender wants a DAO-ACK.</summary>
    public bool AckRequested { get; init; }

    /// <summary>The 6 remaining flag bits.</summary>
    public byte Flags { get; init; }

    /// <summary>Reserved byte.</summary>
    public byte Reserved { get; init; }

    /// <summary>DAOSequence (echoed by the DAO-ACK).</summary>
    public byte Sequence { get; init; }

    /// <summary>The DODAG id when the D flag is set, else null.</summary>
    public Ipv6Address? DodagId { get; init; }

    /// <inheritdoc />
    public override byte Code => RplConstants.CodeDao;
}

/// <summary>
/// DAO acknowledgement (code 0x03, RFC 6550 §6.5.1).
/// <code>
///  0                   1                   2                   3
/// | RPLInstanceID |D|  Reserved   |  DAOSequence  |    Status     |
/// |                   DODAGID* (16 bytes, if D)                   |
/// |   Option(s)...
/// </code>
/// </summary>
public sealed record RplDaoAck : RplMessage
{
    /// <summary>Status 0: accepted. Values of 128 and above reject the DAO.</summary>
    public const byte StatusAccepted = 0;

    /// <summary>A rejection status: the root has no room for the route.</summary>
    public const byte StatusNoRoom = 128;

    /// <summary>RPLInstanceID.</summary>
    public byte InstanceId { get; init; }

    /// <summary>The 7 reserved bits after D.</summary>
    public byte Reserved { get; init; }

    /// <summary>The DAOSequence being acknowledged.</summary>
    public byte Sequence { get; init; }

    /// <summary>0 = accepted; 1-127 accepted with a warning; ≥ 128 rejected.</summary>
    public byte Status { get; init; }

    /// <summary>The DODAG id when the D flag is set, else null.</summary>
    public Ipv6Address? DodagId { get; init; }

    /// <inheritdoc />
    public override byte Code => RplConstants.CodeDaoAck;
}
