import StackPGOutput
import Testing

@Suite struct LSNTests {
    @Test(arguments: [
        ("16/B374D848", UInt64(0x16_B374_D848)),
        ("00000016/B374D848", UInt64(0x16_B374_D848)),
        ("0/0", UInt64(0)),
        ("FFFFFFFF/FFFFFFFF", UInt64.max),
        ("0/1542a88", UInt64(0x154_2A88)),
    ])
    func parsesShortAndPaddedForms(text: String, expected: UInt64) {
        #expect(LSN(text)?.rawValue == expected)
    }

    @Test(arguments: ["", "16", "16/", "/1", "1/2/3", "G/1", "123456789/0", "+1/2", "-1/2", " 1/2", "1/2 "])
    func rejectsMalformedText(text: String) {
        #expect(LSN(text) == nil)
    }

    @Test func printsPaddedUppercaseAndShortForms() {
        let lsn = LSN(0x16_B374_D848)
        #expect(lsn.description == "00000016/B374D848")
        #expect(lsn.postgresDescription == "16/B374D848")
        #expect(LSN.zero.description == "00000000/00000000")
        #expect(LSN.zero.postgresDescription == "0/0")
    }

    @Test func ordersByPositionAndPaddedTextOrdersTheSame() {
        let values: [UInt64] = [0x1_0000_0000, 0xFF, 0x16_B374_D848, 0, 0x2_0000_0001]
        let lsns = values.map { LSN($0) }
        #expect(lsns.sorted().map(\.rawValue) == values.sorted())
        #expect(lsns.sorted().map(\.description) == lsns.map(\.description).sorted())
        #expect(LSN("1/0")! > LSN("0/FFFFFFFF")!)
    }

    @Test func roundTripsThroughBothForms() {
        for raw: UInt64 in [1, 0xABCD_EF01_2345_6789, 0x8000_0000] {
            #expect(LSN(LSN(raw).description) == LSN(raw))
            #expect(LSN(LSN(raw).postgresDescription) == LSN(raw))
        }
    }
}
