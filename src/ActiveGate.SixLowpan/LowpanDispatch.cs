namespace ActiveGate.SixLowpan;

/// <summary>What the first byte of a 6LoWPAN frame says (RFC 4944 §5.1, RFC 6282 §3.1).</summary>
public enum LowpanDispatchKind
{
    /// <summary>00xxxxxx: not a LoWPAN frame.</summary>
    NotLowpan,

    /// <summary>0x41: uncompressed IPv6 follows.</summary>
    Ipv6,

    /// <summary>011xxxxx: IPHC-compressed IPv6.</summary>
    Iphc,

    /// <summary>0x50: broadcast header (LOWPAN_BC0) followed by another dispatch.</summary>
    Broadcast,

    /// <summary>10xxxxxx: mesh header (not supported: the mesh routes at layer 3 with RPL).</summary>
    Mesh,

    /// <summary>11000xxx: first fragment.</summary>
    FirstFragment,

    /// <summary>11100xxx: subsequent fragment.</summary>
    SubsequentFragment,

    /// <summary>Anything else (HC1 0x42, paging, reserved).</summary>
    Unsupported,
}

/// <summary>Classifies 6LoWPAN dispatch bytes.</summary>
public static class LowpanDispatch
{
    /// <summary>Classifies <paramref name="dispatch"/>.</summary>
    public static LowpanDispatchKind Classify(byte dispatch) => dispatch switch
    {
        0x41 => LowpanDispatchKind.Ipv6,
        0x50 => LowpanDispatchKind.Broadcast,
        _ when (dispatch & 0xC0) == 0x00 => LowpanDispatchKind.NotLowpan,
        _ when (dispatch & 0xE0) == 0x60 => LowpanDispatchKind.Iphc,
        _ when (dispatch & 0xC0) == 0x80 => LowpanDispatchKind.Mesh,
        _ when (dispatch & 0xF8) == 0xC0 => LowpanDispatchKind.FirstFragment,
        _ when (dispatch & 0xF8) == 0xE0 => LowpanDispatchKind.SubsequentFragment,
        _ => LowpanDispatchKind.Unsupported,
    };
}
