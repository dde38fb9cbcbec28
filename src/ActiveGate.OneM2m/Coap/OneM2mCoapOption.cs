using ActiveGate.Coap.Messages;

namespace ActiveGate.OneM2m.Coap;

/// <summary>
/// The oneM2M CoAP options of TS-0008 (Release 2 and later numbering, as ACME uses; notes §7). All of them are odd,
/// i.e. critical (RFC 7252 §5.4.6): an endpoint carrying oneM2M traffic must list them in
/// <see cref="ActiveGate.Coap.Stack.CoapEndpointOptions.AdditionalKnownOptions"/> or it rejects every CSE response.
/// Release 1 peers (old Eclipse OM2M) used 256–267 instead; those are not supported here.
/// </summary>
public static class OneM2mCoapOption
{
    /// <summary>oneM2M-OT (259, string): originating timestamp.</summary>
    public const CoapOptionNumber OriginatingTimestamp = (CoapOptionNumber)259;

    /// <summary>oneM2M-RTURI (263, string): response type URI.</summary>
    public const CoapOptionNumber ResponseTypeUri = (CoapOptionNumber)263;

    /// <summary>oneM2M-TY (267, uint): resource type; present on CREATE only (POST without it is NOTIFY).</summary>
    public const CoapOptionNumber ResourceType = (CoapOptionNumber)267;

    /// <summary>oneM2M-RVI (271, string): release version indicator.</summary>
    public const CoapOptionNumber ReleaseVersion = (CoapOptionNumber)271;

    /// <summary>oneM2M-ASRI (275, string): assigned token identifiers.</summary>
    public const CoapOptionNumber AssignedTokenIdentifiers = (CoapOptionNumber)275;

    /// <summary>oneM2M-FR (279, string): originator.</summary>
    public const CoapOptionNumber From = (CoapOptionNumber)279;

    /// <summary>oneM2M-RQI (283, string): request identifier.</summary>
    public const CoapOptionNumber RequestIdentifier = (CoapOptionNumber)283;

    /// <summary>oneM2M-RQET (291, string): request expiration timestamp.</summary>
    public const CoapOptionNumber RequestExpirationTimestamp = (CoapOptionNumber)291;

    /// <summary>oneM2M-RSET (295, string): result expiration timestamp.</summary>
    public const CoapOptionNumber ResultExpirationTimestamp = (CoapOptionNumber)295;

    /// <summary>oneM2M-OET (299, string): operation execution time.</summary>
    public const CoapOptionNumber OperationExecutionTime = (CoapOptionNumber)299;

    /// <summary>oneM2M-EC (303, uint): event category.</summary>
    public const CoapOptionNumber EventCategory = (CoapOptionNumber)303;

    /// <summary>oneM2M-RSC (307, uint): response status code; authoritative over the CoAP response code.</summary>
    public const CoapOptionNumber ResponseStatusCode = (CoapOptionNumber)307;

    /// <summary>oneM2M-GID (311, string): group request identifier.</summary>
    public const CoapOptionNumber GroupRequestIdentifier = (CoapOptionNumber)311;

    /// <summary>Content-Format application/json (RFC 7252 §12.3), which ACME, OM2M and our test CSE accept.</summary>
    public const int ApplicationJson = 50;

    /// <summary>
    /// Every oneM2M option number of TS-0008 Table 6.2.2.4-1 (259–351, the odd numbers the table assigns), for
    /// <see cref="ActiveGate.Coap.Stack.CoapEndpointOptions.AdditionalKnownOptions"/>.
    /// </summary>
    public static IReadOnlyCollection<CoapOptionNumber> All { get; } =
        [.. new ushort[] { 259, 263, 267, 271, 275, 279, 283, 291, 295, 299, 303, 307, 311, 319, 323, 327, 331, 335, 339, 343, 347, 351 }
            .Select(n => (CoapOptionNumber)n)];
}
