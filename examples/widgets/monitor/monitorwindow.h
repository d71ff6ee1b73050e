#ifndef MONITORWINDOW_H
#define MONITORWINDOW_H

#include <SocketIpc/IpcMessageModel>
#include <SocketIpc/IpcServer>

#include <QtCore/qsortfilterproxymodel.h>
#include <QtGui/qstandarditemmodel.h>
#include <QtWidgets/qmainwindow.h>

QT_BEGIN_NAMESPACE
class QLabel;
class QLineEdit;
class QListView;
class QPushButton;
class QTreeView;
QT_END_NAMESPACE

// The log as the window shows it: the rows of an IpcMessageModel whose topic matches a topic
// or pattern ("sensor.#"), one line each. Filtering here rather than with
// IpcMessageModel::setTopic() applies a new filter to the messages already logged too.
class TopicFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setPattern(const QString &pattern);
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_pattern;
};

// A window on an IpcServer: who is connected, what they send, and a form to answer. Every
// widget follows the server's signals; nothing polls.
class MonitorWindow : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MonitorWindow)
public:
    enum ClientColumn { IdColumn, PidColumn, UidColumn, MessagesColumn };
    static constexpr int ClientIdRole = Qt::UserRole + 1;  // the full id, in IdColumn

    explicit MonitorWindow(QWidget *parent = nullptr);

    bool listen(const QString &socketPath, QString *error);

private:
    void addClient(const QString &clientId);
    void removeClient(const QString &clientId);
    void countMessage(const QString &clientId);
    int rowOf(const QString &clientId) const;
    QString selectedClientId() const;
    void sendFromForm(bool toEveryone);
    void showSendResult(const QString &text, bool ok);
    void updateStatus();

    IpcServer m_server;
    IpcMessageModel m_log;
    TopicFilterModel m_filteredLog;
    QStandardItemModel m_clients;
    QTreeView *m_clientView;
    QListView *m_logView;
    QLineEdit *m_filter;
    QLineEdit *m_topic;
    QLineEdit *m_message;
    QPushButton *m_sendButton;
    QPushButton *m_broadcastButton;
    QLabel *m_sendResult;
    QLabel *m_status;
    bool m_followLog = true;
};

#endif  // MONITORWINDOW_H
