import Testing
@testable import ChipModel

@Suite struct MeshTests {
    @Test func coreToTileIsRowMajorWithCoresPerTile() {
        let m = Mesh(width: 3, height: 2, coresPerTile: 2)
        #expect(m.coreCount == 12 && m.tileCount == 6)
        // Core 7 -> tile 3 -> (0, 1); core 11 -> tile 5 -> (2, 1); core 4 -> tile 2 -> (2, 0).
        #expect(m.coord(ofCore: 7) == TileCoord(x: 0, y: 1))
        #expect(m.coord(ofCore: 11) == TileCoord(x: 2, y: 1))
        #expect(m.coord(ofCore: 4) == TileCoord(x: 2, y: 0))
        #expect(m.hops(fromCore: 0, toCore: 11) == (2, 1))
        #expect(m.hops(fromCore: 6, toCore: 7) == (0, 0))
    }

    @Test func neighboursStopAtTheEdges() {
        let m = Mesh(width: 3, height: 2)
        #expect(m.neighbour(ofTile: 0, .west) == nil && m.neighbour(ofTile: 0, .south) == nil)
        #expect(m.neighbour(ofTile: 0, .east) == 1 && m.neighbour(ofTile: 0, .north) == 3)
        #expect(m.neighbour(ofTile: 5, .east) == nil && m.neighbour(ofTile: 5, .north) == nil)
        #expect(m.neighbour(ofTile: 4, .west) == 3)
    }

    @Test func linkIDsNameTileDirectionAndHostRole() throws {
        var noc = NocConfig(); noc.hostPort = .east; noc.hostTile = TileCoord(x: 2, y: 1)
        let r = try MeshRouter(mesh: Mesh(width: 3, height: 2), noc: noc)
        #expect(r.linkID(4 * 4 + Direction.north.rawValue).description == "(1,1) north")
        #expect(r.linkID(5 * 4 + Direction.east.rawValue).description == "(2,1) east to host")
        #expect(r.linkID(24).description == "host to (2,1) via east port")
        #expect(r.linkExists(5 * 4 + Direction.east.rawValue) && !r.linkExists(2 * 4 + Direction.east.rawValue))
        // 3x2 mesh: 2*2 east-west pairs... (W-1)*H*2 + W*(H-1)*2 = 8 + 6 = 14 mesh links + 2 host links.
        #expect(r.existingLinks == 16)
    }

    @Test func nocDecodeDefaultsValuesAndErrors() throws {
        #expect(try NocConfig.decode(nil) == NocConfig())
        let v = try JSONValue.parse("""
            {"noc": {"hopCyclesEW": 3, "hopCyclesNS": 5, "coresPerTile": 2, "hostPort": "north",
                     "hostTile": [1, 3], "flits": {"graded": 4}}}
            """, file: "chip.json")
        let root = try JSONReader(v, file: "chip.json", path: "$")
        let c = try NocConfig.decode(try root.optionalObject("noc"))
        #expect(c.hopCyclesEW == 3 && c.hopCyclesNS == 5 && c.coresPerTile == 2)
        #expect(c.hostPort == .north && c.hostTile == TileCoord(x: 1, y: 3) && c.flits == [1, 4, 1, 2])
        #expect(throws: Never.self) { try MeshRouter(mesh: Mesh(width: 2, height: 4, coresPerTile: 2), noc: c) }
        #expect(throws: ChipError.config(file: "chip.json", path: "$.noc.hostTile",
                                         message: "tile (1,3) is not on the north edge of the 2x5 mesh, so it cannot hold a north host port")) {
            try MeshRouter(mesh: Mesh(width: 2, height: 5, coresPerTile: 2), noc: c)
        }
        func decode(_ text: String) throws -> NocConfig {
            let v = try JSONValue.parse(text, file: "c.json")
            return try NocConfig.decode(try JSONReader(v, file: "c.json", path: "$.noc"))
        }
        #expect(throws: ChipError.config(file: "c.json", path: "$.noc.hopCyclesEW", message: "0 is out of range; expected 1...1000000")) {
            try decode(#"{"hopCyclesEW": 0}"#)
        }
        #expect(throws: ChipError.config(file: "c.json", path: "$.noc.hostPort", message: "'up' is not allowed; expected one of: east, west, north, south")) {
            try decode(#"{"hostPort": "up"}"#)
        }
        #expect(throws: ChipError.self) { try decode(#"{"flits": {"spikes": 1}}"#) }
        #expect(throws: ChipError.self) { try decode(#"{"hopCycles": 1}"#) }
        #expect(throws: ChipError.self) { try decode(#"{"hostTile": [1]}"#) }
        #expect(NocConfig.keys.count == 9)
    }
}
