namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>The DTLS 1.2 PSK cipher suites LwM2M mandates (OMA LwM2M 1.1 Transport §5.2.8.3, RFC 7925).</summary>
public enum DtlsPskCipherSuite
{
    /// <summary>TLS_PSK_WITH_AES_128_CCM_8 (0xC0A8, RFC 6655): the constrained-device suite; 29 bytes of record overhead.</summary>
    TlsPskWithAes128Ccm8 = 0xC0A8,

    /// <summary>TLS_PSK_WITH_AES_128_CBC_SHA256 (0x00AE, RFC 5487): up to 77 bytes of record overhead.</summary>
    TlsPskWithAes128CbcSha256 = 0x00AE,
}
