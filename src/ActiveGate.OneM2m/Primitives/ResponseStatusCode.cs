namespace ActiveGate.OneM2m.Primitives;

/// <summary>
/// oneM2M response status codes (TS-0004 §6.6, <c>rsc</c>). Only the ones a gateway meets are named;
/// any other value still round-trips as a number.
/// </summary>
public enum ResponseStatusCode
{
    None = 0,
    Accepted = 1000,
    AcceptedNonBlockingSynch = 1001,
    AcceptedNonBlockingAsynch = 1002,
    Ok = 2000,
    Created = 2001,
    Deleted = 2002,
    Updated = 2004,
    BadRequest = 4000,
    ReleaseVersionNotSupported = 4001,
    NotFound = 4004,
    OperationNotAllowed = 4005,
    RequestTimeout = 4008,
    UnsupportedMediaType = 4015,
    SubscriptionCreatorHasNoPrivilege = 4101,
    ContentsUnacceptable = 4102,
    OriginatorHasNoPrivilege = 4103,
    Conflict = 4105,
    SecurityAssociationRequired = 4107,
    InvalidChildResourceType = 4108,
    AppRuleValidationFailed = 4110,
    OriginatorHasAlreadyRegistered = 4117,
    InternalServerError = 5000,
    NotImplemented = 5001,
    TargetNotReachable = 5103,
    ReceiverHasNoPrivilege = 5105,
    AlreadyExists = 5106,
    TargetNotSubscribable = 5203,
    SubscriptionVerificationInitiationFailed = 5204,
    SubscriptionHostHasNoPrivilege = 5205,
    NotAcceptable = 5207,
    InvalidArguments = 6023,
    InsufficientArguments = 6024,
}

/// <summary>Coarse classification of a response: what the caller should do with it.</summary>
public enum ResponseOutcome
{
    /// <summary>2xxx (or 1xxx accepted).</summary>
    Success,
    /// <summary>4105 / 5106: the resource name is taken. For idempotent creates this means "already delivered".</summary>
    AlreadyExists,
    /// <summary>4004: target (or, on CREATE, the parent) does not exist.</summary>
    NotFound,
    /// <summary>4117: this originator already registered an AE.</summary>
    AlreadyRegistered,
    /// <summary>4101/4103/4107/5105/5205: the originator is not allowed to do this.</summary>
    OriginatorRejected,
    /// <summary>Other 4xxx and 6xxx: the request is wrong; retrying it unchanged will not help.</summary>
    BadRequest,
    /// <summary>5xxx (not listed above) and 4008 from the CSE: the CSE failed; retry later.</summary>
    ServerError,
    /// <summary>No response within the request timeout (synthesised locally).</summary>
    Timeout,
    /// <summary>Connection refused/reset, DNS failure, malformed HTTP (synthesised locally).</summary>
    TransportFailure,
}

public static class ResponseStatusCodes
{
    public static ResponseOutcome Classify(ResponseStatusCode rsc)
    {
        int code = (int)rsc;
        return rsc switch
        {
            ResponseStatusCode.Conflict or ResponseStatusCode.AlreadyExists => ResponseOutcome.AlreadyExists,
            ResponseStatusCode.NotFound => ResponseOutcome.NotFound,
            ResponseStatusCode.OriginatorHasAlreadyRegistered => ResponseOutcome.AlreadyRegistered,
            ResponseStatusCode.SubscriptionCreatorHasNoPrivilege or ResponseStatusCode.OriginatorHasNoPrivilege
                or ResponseStatusCode.SecurityAssociationRequired or ResponseStatusCode.ReceiverHasNoPrivilege
                or ResponseStatusCode.SubscriptionHostHasNoPrivilege => ResponseOutcome.OriginatorRejected,
            ResponseStatusCode.RequestTimeout => ResponseOutcome.ServerError,
            _ when code is >= 1000 and < 3000 => ResponseOutcome.Success,
            _ when code is >= 5000 and < 6000 => ResponseOutcome.ServerError,
            _ => ResponseOutcome.BadRequest,
        };
    }

    /// <summary>Maps an HTTP status to a representative RSC when a peer omitted <c>X-M2M-RSC</c> (TS-0009 Table 6.3.2-1, inverted).</summary>
    public static ResponseStatusCode FromHttpStatus(int httpStatus, Operation op) => httpStatus switch
    {
        200 => op switch
        {
            Operation.Delete => ResponseStatusCode.Deleted,
            Operation.Update => ResponseStatusCode.Updated,
            _ => ResponseStatusCode.Ok,
        },
        201 => ResponseStatusCode.Created,
        202 => ResponseStatusCode.Accepted,
        204 => op == Operation.Delete ? ResponseStatusCode.Deleted : ResponseStatusCode.Updated,
        400 => ResponseStatusCode.BadRequest,
        403 => ResponseStatusCode.OriginatorHasNoPrivilege,
        404 => ResponseStatusCode.NotFound,
        405 => ResponseStatusCode.OperationNotAllowed,
        406 => ResponseStatusCode.NotAcceptable,
        408 or 504 => ResponseStatusCode.RequestTimeout,
        409 => ResponseStatusCode.Conflict,
        415 => ResponseStatusCode.UnsupportedMediaType,
        501 => ResponseStatusCode.NotImplemented,
        >= 200 and < 300 => ResponseStatusCode.Ok,
        >= 400 and < 500 => ResponseStatusCode.BadRequest,
        _ => ResponseStatusCode.InternalServerError,
    };
}
