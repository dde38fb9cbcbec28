using ActiveGate.Coap.Transport.Dtls;

namespace ActiveGate.OneM2m.Coap;

/// <summary>Settings of a <see cref="CoapBinding"/>.</summary>
public sealed class CoapBindingOptions
{
    /// <summary>Timeout per request when the primitive does not set one (long polls set their own).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Prefix of generated request identifiers (a random suffix per process keeps them unique across restarts).</summary>
    public string RequestIdPrefix { get; set; } = "ag";

    /// <summary>Block size for Block1 uploads and Block2 downloads (RFC 7959; 16–1024).</summary>
    public int BlockSize { get; set; } = 1024;

    /// <summary>
    /// Largest response body reassembled from Block2 blocks. A CSE answering with more (a retrieve with
    /// <c>rcn=4</c> over a big tree) gets a local TransportFailure instead of exhausting the gateway's memory.
    /// </summary>
    public int MaxResponseBodySize { get; set; } = 1024 * 1024;

    /// <summary>Identity and key for coaps:// (DTLS 1.2 PSK); null means coaps:// endpoints are refused.</summary>
    public PskCredential? PskCredential { get; set; }
}
