namespace ActiveGate.OneM2m.Primitives;

/// <summary>oneM2M operation (TS-0004 §6.3.4.2.5, <c>op</c>).</summary>
public enum Operation
{
    Create = 1,
    Retrieve = 2,
    Update = 3,
    Delete = 4,
    Notify = 5,
}
