import Foundation

extension Array {
    /// Maps elements on all cores; results keep the input order.
    public func concurrentMap<T>(_ transform: (Element) -> T) -> [T] {
        if count < 2 { return map(transform) }
        var results = [T?](repeating: nil, count: count)
        withoutActuallyEscaping(transform) { f in
            let fn = UncheckedBox(f)
            self.withUnsafeBufferPointer { input in
                let inputBox = UncheckedBox(input)
                results.withUnsafeMutableBufferPointer { out in
                    let outBox = UncheckedBox(out)
                    DispatchQueue.concurrentPerform(iterations: inputBox.value.count) { i in
                        // each iteration writes only its own slot
                        outBox.value[i] = fn.value(inputBox.value[i])
                    }
                }
            }
        }
        return results.map { $0! }
    }
}

/// Carries a value into a concurrent closure when the caller guarantees disjoint access.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
