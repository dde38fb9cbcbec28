namespace ActiveGate.Lwm2m.Model;

/// <summary>Result codes of LwM2M operations, valued as the CoAP code byte (class &lt;&lt; 5 | detail).</summary>
public enum Lwm2mStatus
{
    None = 0,
    Created = 0x41,               // 2.01
    Deleted = 0x42,               // 2.02
    Changed = 0x44,               // 2.04
    Content = 0x45,               // 2.05
    BadRequest = 0x80,            // 4.00
    Unauthorized = 0x81,          // 4.01
    NotFound = 0x84,              // 4.04
    MethodNotAllowed = 0x85,      // 4.05
    NotAcceptable = 0x86,         // 4.06
    RequestEntityIncomplete = 0x88, // 4.08
    RequestEntityTooLarge = 0x8D, // 4.13
    UnsupportedContentFormat = 0x8F, // 4.15
    InternalServerError = 0xA0,   // 5.00
    ServiceUnavailable = 0xA3,    // 5.03
}

/// <summary>An LwM2M operation failed with a status the server gets back, and a reason for the diagnostic payload.</summary>
public sealed class Lwm2mException : Exception
{
    public Lwm2mException()
        : this(Lwm2mStatus.InternalServerError, "LwM2M operation failed.")
    {
    }

    public Lwm2mException(string message)
        : this(Lwm2mStatus.InternalServerError, message)
    {
    }

    public Lwm2mException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = Lwm2mStatus.InternalServerError;
    }

    public Lwm2mException(Lwm2mStatus status, string reason)
        : base(reason)
    {
        Status = status;
    }

    public Lwm2mException(Lwm2mStatus status, string reason, Exception innerException)
        : base(reason, innerException)
    {
        Status = status;
    }

    public Lwm2mStatus Status { get; }
}

/// <summary>Who asks for an operation: access rules differ (Core TS 6.1, 6.2).</summary>
public enum Lwm2mOrigin
{
    /// <summary>The application itself: no access checks.</summary>
    Local = 0,

    /// <summary>A Device Management server: no access to /0, operations as in the DDF.</summary>
    DeviceManagement,

    /// <summary>The Bootstrap server: may write any readable/writable resource, including read-only ones and /0.</summary>
    Bootstrap,
}

/// <summary>Write semantics (Core TS 6.3.3): PUT replaces, POST updates partially.</summary>
public enum WriteMode
{
    Replace = 0,
    PartialUpdate,
}
