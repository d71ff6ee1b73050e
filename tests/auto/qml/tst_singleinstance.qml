import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// IpcSingleInstance declared in QML: the election runs once the component is complete, and a
// second instance of the same name (here in the same process) hands its arguments over.
TestCase {
    id: testCase
    name: "SingleInstance"
    when: windowShown

    Component {
        id: instanceComponent
        IpcSingleInstance {
            property var received: []
            onActivated: (args, cwd) => received = received.concat([{ args: args, cwd: cwd }])
        }
    }

    function test_secondInstanceActivatesTheFirst() {
        const path = TestSupport.socketPath("single")
        const first = createTemporaryObject(instanceComponent, testCase, { name: path })
        verify(first)
        compare(first.name, path)
        verify(first.primary)
        compare(first.address, path)

        const second = createTemporaryObject(instanceComponent, testCase, { name: path })
        verify(second)
        verify(!second.primary)
        verify(second.activatePrimary(["open", "two words.txt"]))
        compare(first.received.length, 1)
        compare(first.received[0].args, ["open", "two words.txt"])
        verify(first.received[0].cwd.length > 0)
        compare(second.received.length, 0)
        verify(!first.activatePrimary([]))  // the primary has no one to activate
    }

    function test_secondTakesOverWhenTheFirstIsGone() {
        const path = TestSupport.socketPath("single")
        const first = createTemporaryObject(instanceComponent, testCase, { name: path })
        verify(first.primary)
        const second = createTemporaryObject(instanceComponent, testCase, { name: path })
        verify(!second.primary)
        first.close()
        verify(!first.primary)
        verify(!second.activatePrimary([]))
        verify(second.primary)
    }
}
