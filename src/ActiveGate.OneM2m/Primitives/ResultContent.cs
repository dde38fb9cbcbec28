namespace ActiveGate.OneM2m.Primitives;

/// <summary>Result content (<c>rcn</c>, TS-0004 §6.3.4.2.21).</summary>
public enum ResultContent
{
    Nothing = 0,
    Attributes = 1,
    HierarchicalAddress = 2,
    HierarchicalAddressAndAttributes = 3,
    AttributesAndChildResources = 4,
    AttributesAndChildResourceReferences = 5,
    ChildResourceReferences = 6,
    OriginalResource = 7,
    ChildResources = 8,
    ModifiedAttributes = 9,
}
